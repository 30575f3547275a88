"""The guardrail layer: input and output checks, replies and resources. Imports no Rasa.

Public API::

    from guardrails import InputGuard, ReplyBook, Smalltalk, check_output
"""

from .engine import InputGuard
from .output_check import check_output
from .policy import Policy, load_policy
from .responses import DEFAULT_REGION, REGIONS, Reply, ReplyBook
from .schema import PolicyError
from .smalltalk import Smalltalk
from .verdict import InputVerdict, OutputVerdict

__all__ = [
    "DEFAULT_REGION", "REGIONS", "InputGuard", "InputVerdict", "OutputVerdict", "Policy",
    "PolicyError", "Reply", "ReplyBook", "Smalltalk", "check_output", "load_policy",
]
