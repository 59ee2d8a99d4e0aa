"""Art. 11 operators, one per module, listed in `registry`."""
from ._coding import CodingParams
from .base import Operator, OperatorContext, SummaryOperator
from .birthdate_to_age import BirthdateToAgeParams
from .delete import DeleteParams
from .generalize_address import GeneralizeAddressParams
from .random_token import RandomTokenParams
from .suppress_rare import SuppressRareParams
from .truncate_postal_code import TruncatePostalCodeParams

__all__ = [
    "BirthdateToAgeParams", "CodingParams", "DeleteParams", "GeneralizeAddressParams", "Operator",
    "OperatorContext", "RandomTokenParams", "SummaryOperator", "SuppressRareParams", "TruncatePostalCodeParams",
]
