"""Serializers used only to document the ingest endpoints in OpenAPI (validation is msgspec)."""

from rest_framework import serializers

from events.ingest import limits as L


class EventInSerializer(serializers.Serializer):
    id = serializers.UUIDField(required=False, help_text="Client id for deduplication")
    timestamp = serializers.DateTimeField(required=False, help_text="Defaults to receipt time")
    eventType = serializers.CharField(max_length=L.MAX_NAME_LEN)
    source = serializers.CharField(max_length=L.MAX_NAME_LEN)
    data = serializers.DictField(required=False)
    userId = serializers.CharField(max_length=L.MAX_ID_LEN, required=False, allow_null=True)
    sessionId = serializers.CharField(max_length=L.MAX_ID_LEN, required=False, allow_null=True)
    duration = serializers.FloatField(min_value=0, required=False, allow_null=True)
    priority = serializers.IntegerField(
        min_value=L.MIN_PRIORITY, max_value=L.MAX_PRIORITY, required=False, allow_null=True
    )
    tags = serializers.ListField(
        child=serializers.CharField(max_length=L.MAX_TAG_LEN), max_length=L.MAX_TAGS, required=False
    )
    metadata = serializers.DictField(required=False)
    status = serializers.CharField(max_length=L.MAX_STATUS_LEN, default=L.DEFAULT_STATUS)


class EventOutSerializer(EventInSerializer):
    id = serializers.UUIDField()
    receivedAt = serializers.DateTimeField()
    updatedAt = serializers.DateTimeField(allow_null=True)


class EventPatchSerializer(serializers.Serializer):
    status = serializers.CharField(max_length=L.MAX_STATUS_LEN, required=False)
    tags = serializers.ListField(
        child=serializers.CharField(max_length=L.MAX_TAG_LEN), required=False
    )
    metadata = serializers.DictField(required=False)


class ItemResultSerializer(serializers.Serializer):
    index = serializers.IntegerField()
    status = serializers.ChoiceField(choices=["accepted", "duplicate", "rejected"])
    id = serializers.UUIDField(required=False)
    errors = serializers.DictField(required=False)


class BatchResultSerializer(serializers.Serializer):
    accepted = serializers.IntegerField()
    duplicates = serializers.IntegerField()
    rejected = serializers.IntegerField()
    receivedAt = serializers.DateTimeField()
    results = ItemResultSerializer(many=True)
