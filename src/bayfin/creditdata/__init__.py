"""The enterprise credit data hub (粤信融 data gathering): many departments' deliveries, one standard record.

Other modules use this surface: :func:`enterprise_record` (the standard record of one enterprise, as of a
date) and the credit-code rules.
"""

from bayfin.creditdata.domain import credit_code_problem, is_valid_credit_code
from bayfin.creditdata.service import enterprise_record

__all__ = ["credit_code_problem", "enterprise_record", "is_valid_credit_code"]
