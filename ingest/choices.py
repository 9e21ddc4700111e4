from django.db import models


class BundleStatus(models.TextChoices):
    RECEIVED = "received", "Received"
    PARSING = "parsing", "Parsing"
    PARSED = "parsed", "Parsed"
    FAILED = "failed", "Failed"


class ObservationKind(models.TextChoices):
    ASSET = "asset", "The asset itself"
    COMPONENT = "component", "Component with a serial"
    ANONYMOUS = "anonymous", "Part without a usable serial"
