"""factory-boy factories shared by every test module. Add new ones at the end of the file."""

import factory
from django.contrib.auth import get_user_model

from accounts.keys import DISPLAY_PREFIX_LEN, generate_key, hash_key
from accounts.models import Account, ApiKey, Membership, Role
from accounts.scopes import API_KEY_SCOPES


class AccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Account

    name = factory.Sequence(lambda n: f"account-{n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}@example.com")
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-battery-staple")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    account = factory.SubFactory(AccountFactory)
    role = Role.OWNER


class ApiKeyFactory(factory.django.DjangoModelFactory):
    """``ApiKeyFactory().raw_key`` is the secret to send; only its hash is stored."""

    class Meta:
        model = ApiKey

    account = factory.SubFactory(AccountFactory)
    name = factory.Sequence(lambda n: f"key-{n}")
    raw_key = factory.LazyFunction(generate_key)
    prefix = factory.LazyAttribute(lambda o: o.raw_key[:DISPLAY_PREFIX_LEN])
    key_hash = factory.LazyAttribute(lambda o: hash_key(o.raw_key))
    scopes = factory.LazyFunction(lambda: sorted(API_KEY_SCOPES))

    @classmethod
    def _create(cls, model_class, *args, raw_key=None, **kwargs):
        obj = super()._create(model_class, *args, **kwargs)
        obj.raw_key = raw_key
        return obj
