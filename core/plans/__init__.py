"""Reading plans: which chapters to read on which day, what is done, and what to do about the
days missed. Plans are data (``catalog``), the schedule is arithmetic on chapters and dates
(``schedule``), progress lives in the user database per session (``store``) and one class
ties them to a clock (``tracker``)."""

from core.plans.catalog import BUILT_IN, PlanDefinition, PlanError, built_in, custom
from core.plans.schedule import Reading, describe_readings
from core.plans.tracker import MAX_CATCH_UP_DAYS, ActivePlan, PlanDay, ReadingPlans

__all__ = [
    "BUILT_IN",
    "MAX_CATCH_UP_DAYS",
    "ActivePlan",
    "PlanDay",
    "PlanDefinition",
    "PlanError",
    "Reading",
    "ReadingPlans",
    "built_in",
    "custom",
    "describe_readings",
]
