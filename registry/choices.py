"""String choices of the registry. Stored values are the domain's words, never integers."""

from django.db import models


class ComponentClass(models.TextChoices):
    CPU = "CPU", "CPU"
    DIMM = "DIMM", "Memory module"
    SSD = "SSD", "SATA/SAS SSD"
    HDD = "HDD", "Hard disk"
    NVME = "NVME", "NVMe drive"
    NIC = "NIC", "Network adapter"
    PSU = "PSU", "Power supply"
    GPU = "GPU", "GPU"
    BMC = "BMC", "BMC"
    RAID = "RAID", "RAID/HBA controller"
    MOTHERBOARD = "MOTHERBOARD", "Motherboard"
    OTHER = "OTHER", "Other"


class LocationKind(models.TextChoices):
    WAREHOUSE = "warehouse", "Warehouse"
    DATACENTER = "datacenter", "Data centre"
    RACK = "rack", "Rack"
    REPAIR_CENTRE = "repair_centre", "Repair centre"


class AssetStatus(models.TextChoices):
    INTAKE = "intake", "Intake"
    STOCK = "stock", "Stock"
    DEPLOYED = "deployed", "Deployed"
    REPAIR = "repair", "Repair"
    RETIRED = "retired", "Retired"


# The lifecycle of an asset: which status may follow which. Retired is final; an asset that
# comes back is a new intake of the same hardware and is handled by re-registering it.
ASSET_STATUS_TRANSITIONS: dict[str, frozenset[str]] = {
    AssetStatus.INTAKE: frozenset({AssetStatus.STOCK, AssetStatus.DEPLOYED, AssetStatus.REPAIR, AssetStatus.RETIRED}),
    AssetStatus.STOCK: frozenset({AssetStatus.DEPLOYED, AssetStatus.REPAIR, AssetStatus.RETIRED}),
    AssetStatus.DEPLOYED: frozenset({AssetStatus.STOCK, AssetStatus.REPAIR, AssetStatus.RETIRED}),
    AssetStatus.REPAIR: frozenset({AssetStatus.STOCK, AssetStatus.DEPLOYED, AssetStatus.RETIRED}),
    AssetStatus.RETIRED: frozenset(),
}


class PlaceholderKind(models.TextChoices):
    EXACT = "exact", "Exact value"
    REGEX = "regex", "Regular expression (full match)"
