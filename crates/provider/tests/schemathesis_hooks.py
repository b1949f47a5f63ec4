"""Schemathesis hooks for the provider's run (crates/provider/tests/provider/schemathesis.rs).

Some rules of the standard relate a request's values to something no schema of one value can state.
Requests generated as valid get values those rules allow; requests generated as invalid are sent as
generated.
- `next_page` is a cursor that only the provider's previous answer gives (ch.2.1). A made-up one is
  refused with 40001, so a valid request starts at the first page.
- A period (`from_date`/`to_date`, `from_month`/`to_month`) runs forward, within what ch.3.3.2 allows
  for the call's x-api-type. A valid request asks for today, or for this month (Korean time).
- Statistics are asked for by a Sunday (`inquiry_date`, ch.7 지원-004/104): the last one.
- A revocation (개별인증-004) names a registered client with its secret, which the test passes in
  MYDATA_CLIENT_ID and MYDATA_CLIENT_SECRET.
"""

import datetime
import os

import schemathesis

KOREA = datetime.timezone(datetime.timedelta(hours=9))
REVOKE_PATH = "/oauth/2.0/revoke"


def _within_the_rules(values):
    if not isinstance(values, dict):
        return
    values.pop("next_page", None)
    today = datetime.datetime.now(KOREA).date()
    for start, end, value in (
        ("from_date", "to_date", today.strftime("%Y%m%d")),
        ("from_month", "to_month", today.strftime("%Y%m")),
    ):
        if start in values or end in values:
            values[start] = value
            values[end] = value
    if "inquiry_date" in values:
        last_sunday = today - datetime.timedelta(days=(today.weekday() + 1) % 7)
        values["inquiry_date"] = last_sunday.strftime("%Y%m%d")


@schemathesis.hook
def map_case(context, case):
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive:
        return case
    _within_the_rules(case.query)
    _within_the_rules(case.body)
    if case.operation.path == REVOKE_PATH and isinstance(case.body, dict):
        case.body["client_id"] = os.environ["MYDATA_CLIENT_ID"]
        case.body["client_secret"] = os.environ["MYDATA_CLIENT_SECRET"]
    return case
