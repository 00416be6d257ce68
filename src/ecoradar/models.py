"""Every ORM model, imported in one place so metadata and migrations see the whole schema."""

from ecoradar.core.db import Base
from ecoradar.detection.models import Alert
from ecoradar.monitoring.models import Measurement, RawPacket
from ecoradar.regions.models import Region
from ecoradar.registry.models import Enterprise, MonitoringPoint, Outlet, PointLimit

__all__ = [
    "Alert",
    "Base",
    "Enterprise",
    "Measurement",
    "MonitoringPoint",
    "Outlet",
    "PointLimit",
    "RawPacket",
    "Region",
]
