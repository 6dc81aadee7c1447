"""JSON logging: structlog for our own loggers, its ProcessorFormatter for everyone else's.

Request context (request_id, method, path, account) is bound in contextvars by the request
middleware, so every line logged while serving a request carries it.
"""

import logging
import logging.config

import structlog

FOREIGN_PRE_CHAIN = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]


def logging_config(level: str = "INFO") -> dict:
    """A dictConfig sending every logger (ours, Django's, Celery's, gunicorn's) to JSON stdout."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "json": {
                "()": structlog.stdlib.ProcessorFormatter,
                "processors": [
                    structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                    structlog.processors.format_exc_info,
                    structlog.processors.JSONRenderer(),
                ],
                "foreign_pre_chain": FOREIGN_PRE_CHAIN,
            }
        },
        "handlers": {"stdout": {"class": "logging.StreamHandler", "formatter": "json"}},
        "root": {"handlers": ["stdout"], "level": level},
        "loggers": {
            # Our access log replaces these; keep only their errors.
            "django.server": {"level": "ERROR"},
            "django.request": {"level": "CRITICAL"},
            "gunicorn.error": {"level": level, "handlers": ["stdout"], "propagate": False},
            "gunicorn.access": {"level": "WARNING", "handlers": ["stdout"], "propagate": False},
        },
    }


def configure_logging(level: str = "INFO") -> None:
    structlog.configure(
        processors=[
            # First: a line below the configured level costs one isEnabledFor() check, not the
            # context merge, timestamp and formatting it would be dropped after.
            structlog.stdlib.filter_by_level,
            *FOREIGN_PRE_CHAIN,
            structlog.processors.StackInfoRenderer(),
            structlog.processors.format_exc_info,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    logging.config.dictConfig(logging_config(level))
