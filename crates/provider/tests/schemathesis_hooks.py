"""Schemathesis hooks for the provider's run (crates/provider/tests/schemathesis.rs).

Two rules of the standard relate a request's values to something no schema of one parameter can
state. Requests generated as valid get values those rules allow; requests generated as invalid are
sent as generated.
- `next_page` is a cursor that only the provider's previous answer gives (ch.2.1). A made-up one is
  refused with 40001, so a valid request starts at the first page.
- A period (`from_date`/`to_date`, `from_month`/`to_month`) runs forward, within what ch.3.3.2 allows
  for the call's x-api-type. A valid request asks for today, or for this month (Korean time).
"""

import datetime

import schemathesis

KOREA = datetime.timezone(datetime.timedelta(hours=9))


def _within_the_rules(values):
    if not isinstance(values, dict):
        return
    values.pop("next_page", None)
    today = datetime.datetime.now(KOREA)
    for start, end, value in (
        ("from_date", "to_date", today.strftime("%Y%m%d")),
        ("from_month", "to_month", today.strftime("%Y%m")),
    ):
        if start in values or end in values:
            values[start] = value
            values[end] = value


@schemathesis.hook
def map_case(context, case):
    meta = case.meta
    if meta is not None and meta.generation.mode.is_positive:
        _within_the_rules(case.query)
        _within_the_rules(case.body)
    return case
