//! Statistics of 지원-004/005: per day, per counterpart, per 첨부12 API code, per 첨부11 time slot.
//! Built from [`CallStats`] cells, which hold sums so that they add up across batches and instances.

use crate::time::kst_of;
use chrono::{Datelike, Days, NaiveDate, Timelike, Weekday};
use mydata_spec::ApiType;
use mydata_store::{CallStats, ConsentCounts};
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// 첨부11: `00` is 09:00:00–17:59:59, `01` the rest of the day.
pub const TM_SLOTS: [&str; 2] = ["00", "01"];
/// `type` 1: scheduled (정기적 전송).
pub const SCHEDULED: &str = "1";
/// `type` 2: with the data subject (비정기적 전송).
pub const USER_INVOLVED: &str = "2";

/// The statistics day (KST, YYYYMMDD) and 첨부11 slot of a Unix time.
pub fn day_and_slot(unix: i64) -> (String, &'static str) {
    let local = kst_of(unix);
    let slot = if (9..18).contains(&local.hour()) { TM_SLOTS[0] } else { TM_SLOTS[1] };
    (local.format("%Y%m%d").to_string(), slot)
}

/// `type` of a call: only `x-api-type: scheduled` is a scheduled transmission.
pub fn stat_type(api_type: Option<ApiType>) -> &'static str {
    if api_type.is_some_and(ApiType::is_scheduled) { SCHEDULED } else { USER_INVOLVED }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WeekError {
    #[error("inquiry_date must be YYYYMMDD")]
    NotADate,
    #[error("inquiry_date must be a Sunday")]
    NotSunday,
}

/// The seven statistics days before an inquiry_date, which must be a Sunday (지원-004/005/104).
pub fn week_before(inquiry_date: &str) -> Result<Vec<NaiveDate>, WeekError> {
    let date = NaiveDate::parse_from_str(inquiry_date, "%Y%m%d").map_err(|_| WeekError::NotADate)?;
    if date.weekday() != Weekday::Sun {
        return Err(WeekError::NotSunday);
    }
    Ok((1..=7).rev().filter_map(|back| date.checked_sub_days(Days::new(back))).collect())
}

/// The Sunday that closes the week containing `day` (the next inquiry_date for it).
pub fn inquiry_date_after(day: NaiveDate) -> NaiveDate {
    let ahead = 7 - u64::from(day.weekday().num_days_from_sunday());
    day.checked_add_days(Days::new(ahead)).unwrap_or(day)
}

/// Sums of one API code's calls in one slot.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct SlotSums {
    success: i64,
    fail: i64,
    total_ms: i64,
    square_ms: i64,
}

impl SlotSums {
    fn add(&mut self, cell: &CallStats) {
        self.success += cell.success_cnt;
        self.fail += cell.fail_cnt;
        self.total_ms += cell.rsp_total_ms;
        self.square_ms += cell.rsp_square_total;
    }

    /// The 지원-004 slot with response times (average and population standard deviation, in ms).
    fn with_times(&self, slot: &str) -> Value {
        let calls = self.success + self.fail;
        let (avg, stdev) = if calls == 0 {
            (0, 0)
        } else {
            let mean = self.total_ms as f64 / calls as f64;
            let variance = (self.square_ms as f64 / calls as f64 - mean * mean).max(0.0);
            (mean.round() as i64, variance.sqrt().round() as i64)
        };
        json!({
            "tm_slot": slot, "rsp_avg": avg.to_string(), "rsp_total": self.total_ms.to_string(),
            "rsp_stdev": stdev.to_string(), "success_api_cnt": self.success.to_string(),
            "fail_api_cnt": self.fail.to_string(),
        })
    }

    /// The 지원-005 slot: counts only.
    fn counts(&self, slot: &str) -> Value {
        json!({"tm_slot": slot, "success_api_cnt": self.success.to_string(), "fail_api_cnt": self.fail.to_string()})
    }
}

/// `api_type_list` of one counterpart on one day: every API code called, both slots each.
fn api_type_list(cells: &[&CallStats], with_times: bool) -> Vec<Value> {
    let mut by_code: BTreeMap<&str, [SlotSums; 2]> = BTreeMap::new();
    for cell in cells {
        let slots = by_code.entry(cell.api_code.as_str()).or_default();
        let index = usize::from(cell.tm_slot == TM_SLOTS[1]);
        slots[index].add(cell);
    }
    by_code
        .into_iter()
        .map(|(code, slots)| {
            let list: Vec<Value> = TM_SLOTS
                .iter()
                .zip(slots.iter())
                .map(|(slot, sums)| if with_times { sums.with_times(slot) } else { sums.counts(slot) })
                .collect();
            json!({"api_type": code, "tm_slot_cnt": list.len().to_string(), "tm_slot_list": list})
        })
        .collect()
}

fn yyyymmdd(day: NaiveDate) -> String {
    day.format("%Y%m%d").to_string()
}

/// The seven `stat_date_list` entries of a week: for each day, the cells of `stat_type` that `keep`
/// accepts, grouped by `counterpart` — with the counterparts `also` names for the day, even
/// without cells — and turned into entries by `entry`, listed under `list` with its `count`
/// (지원-004: org_cnt/org_list, 지원-005: mydata_svc_cnt/mydata_svc_list).
#[allow(clippy::too_many_arguments)]
fn week_list<'a>(
    days: &[NaiveDate],
    cells: &'a [CallStats],
    stat_type: &str,
    keep: impl Fn(&CallStats) -> bool,
    counterpart: impl Fn(&'a CallStats) -> &'a str,
    also: impl Fn(&str) -> Vec<String>,
    entry: impl Fn(&str, &str, &[&'a CallStats]) -> Value,
    (count, list): (&str, &str),
) -> Vec<Value> {
    days.iter()
        .map(|day| {
            let date = yyyymmdd(*day);
            let mut grouped: BTreeMap<String, Vec<&CallStats>> =
                also(&date).into_iter().map(|key| (key, Vec::new())).collect();
            for cell in cells.iter().filter(|c| c.stat_date == date && c.stat_type == stat_type && keep(c)) {
                grouped.entry(counterpart(cell).to_owned()).or_default().push(cell);
            }
            let entries: Vec<Value> = grouped.iter().map(|(key, cells)| entry(&date, key, cells)).collect();
            json!({"stat_date": date, count: entries.len().to_string(), list: entries})
        })
        .collect()
}

/// The 지원-005 body of one provider: `cells` are its call statistics (any days; those of the week
/// and of `stat_type` are used); `org_of_client` gives each client's operator org_code;
/// `named_org_code` is set only when the sender reports for another institution (a relay);
/// `consents` gives a client's consent counts on a day (YYYYMMDD), reported with type 2 — a
/// service with consents but no calls that day is listed too.
pub fn provider_report(
    stat_type: &str,
    inquiry_date: &str,
    named_org_code: Option<&str>,
    cells: &[CallStats],
    consents: &[(String, Vec<ConsentCounts>)],
    org_of_client: &dyn Fn(&str) -> String,
) -> Result<Value, WeekError> {
    let days = week_before(inquiry_date)?;
    let with_consents = stat_type == USER_INVOLVED;
    let counts_of = |date: &str, client_id: &str| {
        consents.iter().find(|(d, _)| d == date)?.1.iter().find(|c| c.client_id == client_id).cloned()
    };
    let service = |date: &str, client_id: &str, cells: &[&CallStats]| {
        let apis = api_type_list(cells, false);
        let mut entry = serde_json::Map::new();
        entry.insert("org_code".into(), org_of_client(client_id).into());
        entry.insert("client_id".into(), client_id.into());
        if with_consents {
            insert_consent_counts(&mut entry, &counts_of(date, client_id).unwrap_or_default());
        }
        entry.insert("api_type_cnt".into(), apis.len().to_string().into());
        entry.insert("api_type_list".into(), apis.into());
        Value::Object(entry)
    };
    let also = |date: &str| -> Vec<String> {
        let counted = consents.iter().filter(|(d, _)| with_consents && d == date).flat_map(|(_, c)| c.iter());
        counted.filter(|c| c.new + c.revoked + c.own > 0).map(|c| c.client_id.clone()).collect()
    };
    let stat_date_list = week_list(
        &days,
        cells,
        stat_type,
        |_| true,
        |c| c.client_id.as_str(),
        also,
        service,
        ("mydata_svc_cnt", "mydata_svc_list"),
    );
    let mut body = serde_json::Map::new();
    if let Some(org_code) = named_org_code {
        body.insert("org_code".into(), org_code.into());
    }
    body.insert("type".into(), stat_type.into());
    body.insert("inquiry_date".into(), inquiry_date.into());
    body.insert("stat_date_cnt".into(), stat_date_list.len().to_string().into());
    body.insert("stat_date_list".into(), stat_date_list.into());
    Ok(Value::Object(body))
}

/// A day's consent counts as 지원-004 and 지원-005 name them.
fn insert_consent_counts(entry: &mut serde_json::Map<String, Value>, counts: &ConsentCounts) {
    entry.insert("consent_new".into(), counts.new.to_string().into());
    entry.insert("consent_revoke".into(), counts.revoked.to_string().into());
    entry.insert("consent_own".into(), counts.own.to_string().into());
}

/// The 지원-004 body of one operator service (`client_id`): `cells` are the calls it made, with
/// `org_code` the provider called.
pub fn mydata_report(
    stat_type: &str,
    inquiry_date: &str,
    client_id: &str,
    cells: &[CallStats],
) -> Result<Value, WeekError> {
    mydata_report_with_consents(stat_type, inquiry_date, client_id, cells, &[])
}

/// [`mydata_report`] with the service's consent counts: for each day (YYYYMMDD), the provider
/// (org_code) and its counts, reported with type 2 as `consent_new`, `consent_revoke` and
/// `consent_own` — a provider with consents but no calls that day is listed too.
pub fn mydata_report_with_consents(
    stat_type: &str,
    inquiry_date: &str,
    client_id: &str,
    cells: &[CallStats],
    consents: &[(String, Vec<(String, ConsentCounts)>)],
) -> Result<Value, WeekError> {
    let days = week_before(inquiry_date)?;
    let with_consents = stat_type == USER_INVOLVED;
    let counts_of = |date: &str, org_code: &str| {
        consents.iter().find(|(d, _)| d == date)?.1.iter().find(|(o, _)| o == org_code).map(|(_, c)| c.clone())
    };
    let provider = |date: &str, org_code: &str, cells: &[&CallStats]| {
        let apis = api_type_list(cells, true);
        let mut entry = serde_json::Map::new();
        entry.insert("org_code".into(), org_code.into());
        if with_consents {
            insert_consent_counts(&mut entry, &counts_of(date, org_code).unwrap_or_default());
        }
        entry.insert("api_type_cnt".into(), apis.len().to_string().into());
        entry.insert("api_type_list".into(), apis.into());
        Value::Object(entry)
    };
    let also = |date: &str| -> Vec<String> {
        let counted = consents.iter().filter(|(d, _)| with_consents && d == date).flat_map(|(_, c)| c.iter());
        counted.filter(|(_, c)| c.new + c.revoked + c.own > 0).map(|(org, _)| org.clone()).collect()
    };
    let stat_date_list = week_list(
        &days,
        cells,
        stat_type,
        |c| c.client_id == client_id,
        |c| c.org_code.as_str(),
        also,
        provider,
        ("org_cnt", "org_list"),
    );
    Ok(json!({
        "type": stat_type, "client_id": client_id, "inquiry_date": inquiry_date,
        "stat_date_cnt": stat_date_list.len().to_string(), "stat_date_list": stat_date_list,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use mydata_spec::KnownApi;
    use mydata_spec::validate::check_request_body;

    fn cell(day: &str, slot: &str, success: i64, fail: i64, total: i64, square: i64) -> CallStats {
        CallStats {
            org_code: "BANK000001".into(),
            client_id: "svc1".into(),
            api_code: "BA01".into(),
            stat_type: "2".into(),
            stat_date: day.into(),
            tm_slot: slot.into(),
            success_cnt: success,
            fail_cnt: fail,
            rsp_total_ms: total,
            rsp_square_total: square,
        }
    }

    #[test]
    fn slots_and_days_are_korean_time() {
        // 2021-09-05 00:30 UTC = 09:30 KST (slot 00); 09:30 UTC = 18:30 KST (slot 01).
        assert_eq!(day_and_slot(1_630_801_800), ("20210905".into(), "00"));
        assert_eq!(day_and_slot(1_630_834_200), ("20210905".into(), "01"));
    }

    #[test]
    fn the_week_is_the_seven_days_before_a_sunday() {
        let week = week_before("20210912").unwrap();
        assert_eq!(week.first().map(|d| yyyymmdd(*d)), Some("20210905".into()));
        assert_eq!(week.last().map(|d| yyyymmdd(*d)), Some("20210911".into()));
        assert_eq!(week_before("20210913"), Err(WeekError::NotSunday));
        assert_eq!(week_before("2021-09-12"), Err(WeekError::NotADate));
        assert_eq!(
            inquiry_date_after(NaiveDate::from_ymd_opt(2021, 9, 11).unwrap()),
            NaiveDate::from_ymd_opt(2021, 9, 12).unwrap()
        );
        assert_eq!(
            inquiry_date_after(NaiveDate::from_ymd_opt(2021, 9, 12).unwrap()),
            NaiveDate::from_ymd_opt(2021, 9, 19).unwrap()
        );
    }

    #[test]
    fn mydata_report_has_exact_times() {
        // Two calls of 100 ms and 300 ms: mean 200, population stdev 100.
        let cells = [cell("20210906", "00", 1, 1, 400, 100 * 100 + 300 * 300)];
        let report = mydata_report("2", "20210912", "svc1", &cells).unwrap();
        let slot = &report["stat_date_list"][1]["org_list"][0]["api_type_list"][0]["tm_slot_list"][0];
        assert_eq!(slot["rsp_avg"], "200");
        assert_eq!(slot["rsp_stdev"], "100");
        assert_eq!(slot["rsp_total"], "400");
        assert_eq!(report["stat_date_list"][0]["org_cnt"], "0");
        let violations = check_request_body(KnownApi::OperatorStatistics.spec(), &report);
        assert!(violations.is_empty(), "{violations:?}");
    }

    #[test]
    fn mydata_report_carries_the_consent_counts_with_type_2_only() {
        let cells = [cell("20210906", "00", 1, 0, 10, 100)];
        let counts = |new, revoked, own| ConsentCounts { client_id: "svc1".into(), new, revoked, own };
        let consents = [
            ("20210906".to_owned(), vec![("BANK000001".to_owned(), counts(2, 0, 2))]),
            ("20210907".to_owned(), vec![("CARD000001".to_owned(), counts(0, 1, 0))]),
        ];
        let report = mydata_report_with_consents("2", "20210912", "svc1", &cells, &consents).unwrap();
        let monday = &report["stat_date_list"][1]["org_list"][0];
        assert_eq!(
            (&monday["org_code"], &monday["consent_new"], &monday["consent_own"]),
            (&"BANK000001".into(), &"2".into(), &"2".into())
        );
        // A provider whose consent was withdrawn on a day without calls is listed for it.
        let tuesday = &report["stat_date_list"][2]["org_list"][0];
        assert_eq!(
            (&tuesday["org_code"], &tuesday["consent_revoke"], &tuesday["api_type_cnt"]),
            (&"CARD000001".into(), &"1".into(), &"0".into())
        );
        let violations = check_request_body(KnownApi::OperatorStatistics.spec(), &report);
        assert!(violations.is_empty(), "{violations:?}");
        let scheduled_cells = [CallStats { stat_type: "1".into(), ..cell("20210906", "00", 1, 0, 10, 100) }];
        let scheduled = mydata_report_with_consents("1", "20210912", "svc1", &scheduled_cells, &consents).unwrap();
        let monday = &scheduled["stat_date_list"][1]["org_list"][0];
        assert_eq!(monday["org_code"], "BANK000001");
        assert!(monday.get("consent_new").is_none() && monday.get("consent_own").is_none(), "{monday}");
        assert_eq!(scheduled["stat_date_list"][2]["org_cnt"], "0");
    }

    #[test]
    fn provider_report_counts_by_client_api_and_slot() {
        let cells = [cell("20210906", "01", 3, 2, 0, 0), cell("20210905", "00", 1, 0, 0, 0)];
        let consents =
            [("20210907".to_owned(), vec![ConsentCounts { client_id: "svc2".into(), new: 1, revoked: 0, own: 4 }])];
        let report = provider_report("2", "20210912", None, &cells, &consents, &|_| "OPERAT0001".into()).unwrap();
        assert_eq!(report["stat_date_cnt"], "7");
        let monday = &report["stat_date_list"][1]["mydata_svc_list"][0];
        assert_eq!(monday["org_code"], "OPERAT0001");
        assert_eq!(monday["api_type_list"][0]["tm_slot_list"][1]["success_api_cnt"], "3");
        assert_eq!(monday["api_type_list"][0]["tm_slot_list"][1]["fail_api_cnt"], "2");
        assert_eq!(monday["api_type_list"][0]["tm_slot_list"][0]["success_api_cnt"], "0");
        let violations = check_request_body(KnownApi::ProviderStatistics.spec(), &report);
        assert!(violations.is_empty(), "{violations:?}");
        assert_eq!(monday["consent_own"], "0", "a service with calls and no consents");
        let tuesday = &report["stat_date_list"][2]["mydata_svc_list"][0];
        assert_eq!(
            (&tuesday["client_id"], &tuesday["consent_new"], &tuesday["consent_own"]),
            (&json!("svc2"), &json!("1"), &json!("4"))
        );
        assert_eq!(tuesday["api_type_cnt"], "0", "listed for its consents alone");
        let scheduled = provider_report("1", "20210912", None, &cells, &consents, &|_| "OPERAT0001".into()).unwrap();
        assert_eq!(scheduled["stat_date_list"][1]["mydata_svc_cnt"], "0");
        assert_eq!(scheduled["stat_date_list"][2]["mydata_svc_cnt"], "0", "type 1 has no consent counts");
    }
}
