//! Every data-bearing information API, written once and driven by what the API is
//! ([`mydata_spec::ApiKind`]) and its subject ([`mydata_spec::subject`]): find the
//! subject (an asset within the consent, or the customer), apply the scheduled allowance and the
//! search_timestamp rule, then compose the body from the asset list, a stored document and/or
//! keyset-paged history rows.

use super::periodic::Transmission;
use super::wire_body::{self, WireBody};
use super::{InfoCall, invalid};
use crate::Provider;
use crate::tokens::Grant;
use axum::response::Response;
use chrono::{DateTime, Months, NaiveDate, Utc};
use mydata_domain::ConsentOptions;
use mydata_domain::{Period, PeriodRefusal, PeriodRule};
use mydata_spec::paging::PageCursor;
use mydata_spec::subject::{self, list_fields};
use mydata_spec::time::korean_dtime;
use mydata_spec::types::{Date, Month};
use mydata_spec::{ApiKind, ApiType, RspCode};
use mydata_store::{AssetSubject, HistoryEntry, HistoryQuery, Page, StoredDocument};
use mydata_web::ApiError;

/// What a request is about, after the consent checks.
struct Subject {
    /// The key stored answers are filed under (see [`subject::subject_key`]).
    key: String,
    /// The asset named by the request, when the API names one, with the stored answer about it
    /// when the API's answer is made from one.
    asset: Option<AssetSubject>,
    /// The page of history asked for, when it was read with the asset ([`HistoryPage`]).
    history: Option<Page<HistoryEntry>>,
}

/// The page of history a call about an asset asks for, when its period and cursor are sound: it
/// is read in one statement with the asset (`InformationStore::asset_history`), which the consent
/// checks then judge, rather than after them in a second.
struct HistoryPage {
    from: String,
    to: String,
    before: Option<String>,
}

impl HistoryPage {
    /// The store's query for this page of the subject's history, as the consent's customer's.
    fn query<'a>(&'a self, call: &'a InfoCall, subject_key: &'a str, grant: &'a Grant) -> HistoryQuery<'a> {
        HistoryQuery {
            org_code: &call.org_code,
            api_id: call.api.id,
            subject_key,
            customer_id: &grant.consent.customer_id,
            from: &self.from,
            to: &self.to,
            before: self.before.as_deref(),
            limit: page_limit(call),
        }
    }
}

/// The cursor's query of a history call: a `next_page` is valid only for the same API, subject and period.
fn history_cursor_scope(call: &InfoCall, subject_key: &str, (from, to): &(String, String)) -> String {
    format!("{}|{subject_key}|{from}|{to}", call.api.id)
}

/// The DTIME stamp (`YYYYMMDDhhmmss`, Korean time) of a Unix time.
fn stamp_of(unix_seconds: i64) -> Option<String> {
    DateTime::from_timestamp(unix_seconds, 0).map(korean_dtime)
}

fn cursor(call: &InfoCall, query: &str) -> Result<Option<String>, ApiError> {
    call.param("next_page")
        .map(|text| PageCursor::decode(text, query).map(|c| c.after).map_err(|e| invalid(e.to_string())))
        .transpose()
}

/// Whether this is the first page of a transmission (later pages carry `next_page`).
fn first_page(call: &InfoCall) -> bool {
    call.param("next_page").is_none()
}

/// ch.2.1: a caller whose search_timestamp is later than the data's last change (MT) gets
/// UP_TO_DATE instead of the data. `0` (or no stamp) always gets the data. A stamp is the second the
/// request arrived, before its data was read, and stamps count whole seconds: a change within the
/// stamp's own second may have come after the read, so it is sent again rather than lost.
fn unchanged_since_caller(call: &InfoCall, changed_at: Option<i64>) -> bool {
    if !call.api.takes_search_timestamp() || !first_page(call) {
        return false;
    }
    let sent = call.param("search_timestamp").and_then(|s| s.parse::<u64>().ok()).filter(|&s| s > 0);
    let changed = changed_at.and_then(stamp_of).and_then(|s| s.parse::<u64>().ok());
    matches!((sent, changed), (Some(sent), Some(changed)) if sent > changed)
}

/// The UP_TO_DATE answer: no data, only the stamp the caller should send next time.
fn up_to_date(call: &InfoCall) -> Response {
    let mut body = WireBody::new(RspCode::UpToDate);
    body.string("search_timestamp", &korean_dtime(call.received_at));
    body.finish(RspCode::UpToDate)
}

/// A success body, stamped when it is the first page of an API that takes search_timestamp.
fn stamped_body(call: &InfoCall) -> WireBody {
    let mut body = WireBody::new(RspCode::Success);
    if call.api.takes_search_timestamp() && first_page(call) {
        body.string("search_timestamp", &korean_dtime(call.received_at));
    }
    body
}

pub async fn answer(provider: &Provider, call: &InfoCall, grant: &Grant) -> Result<Response, ApiError> {
    let kind = call.api.kind();
    let period = matches!(kind, ApiKind::Rows { .. }).then(|| period(call));
    let subject = subject_of(provider, call, grant, kind, period.as_ref().and_then(|p| p.as_ref().ok())).await?;
    // A malformed period is refused after the subject's checks, and before it can use the scheduled
    // allowance.
    let period = period.transpose()?;
    let store = provider.store.as_ref();
    let subject_key = subject.key.clone();
    let transmission = if call.api_type.is_some_and(ApiType::is_scheduled) && first_page(call) {
        Transmission::admit(store, &grant.consent, call.api, &subject_key, call.received_at).await?
    } else {
        None
    };
    let withheld = withheld_fields(&grant.consent.options);
    let body = match (kind, period) {
        (ApiKind::AssetList, _) => asset_list(provider, call, grant).await?,
        (ApiKind::Document, _) => document(provider, call, subject, &withheld).await?,
        (ApiKind::Rows { with_document }, Some(period)) => {
            rows(provider, call, grant, subject, (with_document, period), &withheld).await?
        }
        // Answered before the stored data is looked at (super::answer); a history call has its period.
        (ApiKind::Rows { .. }, None) | (ApiKind::ApiList | ApiKind::ConsentDetail | ApiKind::NotInformation, _) => {
            return Err(ApiError::new(RspCode::ProcessingFailed));
        }
    };
    let Some(body) = body else { return Ok(up_to_date(call)) };
    if let Some(transmission) = transmission {
        transmission.deliver(store).await?;
    }
    Ok(body.finish(RspCode::Success))
}

/// The request's subject, checked; `period` is a history call's sound period, whose page is then read
/// with the asset when the cursor is sound too.
async fn subject_of(
    provider: &Provider,
    call: &InfoCall,
    grant: &Grant,
    kind: ApiKind,
    period: Option<&(String, String)>,
) -> Result<Subject, ApiError> {
    let qualifiers = subject::qualifiers_of(call.api).map(|q| (q, call.param(q)));
    let key_name = match (kind, call.api.resource_key()) {
        (ApiKind::AssetList, _) | (_, None) => {
            let key = subject::subject_key(&grant.consent.customer_id, qualifiers);
            return Ok(Subject { key, asset: None, history: None });
        }
        (_, Some(key_name)) => key_name,
    };
    let asset_key = call.param(key_name).ok_or_else(|| invalid(format!("{key_name} is required")))?;
    let key = subject::subject_key(asset_key, qualifiers);
    let with_document = matches!(kind, ApiKind::Document | ApiKind::Rows { with_document: true });
    // A malformed cursor reads the asset alone and is refused where a page is read (`rows`).
    let history = period.and_then(|period| {
        let before = cursor(call, &history_cursor_scope(call, &key, period)).ok()?;
        Some(HistoryPage { from: period.0.clone(), to: period.1.clone(), before })
    });
    let (asset, history) = consented_asset(provider, call, grant, asset_key, (&key, with_document), history).await?;
    Ok(Subject { key, asset: Some(asset), history })
}

/// The limit of a page: the caller's, or all of it up to [`super::MAX_UNPAGED`].
fn page_limit(call: &InfoCall) -> u32 {
    call.limit().map_or(super::MAX_UNPAGED, |l| l.get())
}

/// The asset the request names, checked to be the customer's and within the consent, read together
/// with the document filed under the subject's key when `with_document` and the page of `history`
/// when one is asked for.
async fn consented_asset(
    provider: &Provider,
    call: &InfoCall,
    grant: &Grant,
    asset_key: &str,
    (subject_key, with_document): (&str, bool),
    history: Option<HistoryPage>,
) -> Result<(AssetSubject, Option<Page<HistoryEntry>>), ApiError> {
    let list = call.api.asset_list(call.industry).ok_or_else(|| ApiError::new(RspCode::ProcessingFailed))?;
    let read = match history {
        Some(page) => {
            let query = page.query(call, subject_key, grant);
            let read = provider.store.asset_history(list.id, asset_key, with_document, &query).await?;
            read.map(|(asset, page)| (asset, Some(page)))
        }
        None => {
            let document = with_document.then_some((call.api.id, subject_key));
            let asset = provider.store.asset_subject(&call.org_code, list.id, asset_key, document).await?;
            asset.map(|asset| (asset, None))
        }
    };
    // Another customer's asset answers exactly like a missing one.
    let (asset, page) = match read {
        Some((asset, page)) if asset.customer_id == grant.consent.customer_id => (asset, page),
        _ => return Err(ApiError::new(RspCode::AssetNotFound)),
    };
    if !grant.consent.covers_asset(list, asset_key) {
        return Err(ApiError::new(RspCode::AssetNotConsented));
    }
    // A closed or suspended asset is listed with its status, and described by no API (첨부1 40305).
    let normal = list.is_normal_item(&asset.item_json).map_err(|_| ApiError::new(RspCode::ProcessingFailed))?;
    if !normal {
        return Err(ApiError::with(RspCode::AssetNotNormal, format!("{asset_key} is not in a normal state")));
    }
    Ok((asset, page))
}

/// A page of the customer's asset list, each item marked `is_consent`, or `None` when the caller is up
/// to date.
async fn asset_list(provider: &Provider, call: &InfoCall, grant: &Grant) -> Result<Option<WireBody>, ApiError> {
    let customer = &grant.consent.customer_id;
    let query = format!("{}|{customer}", call.api.id);
    let after = cursor(call, &query)?;
    let limit = page_limit(call);
    let listing = provider.store.asset_listing(&call.org_code, call.api.id, customer, after.as_deref(), limit).await?;
    // A consent is a change of every list it marks (ch.2.1: "목록수, 목록내용이 변경되는 경우에도 MT값을
    // 갱신"): its is_consent marks changed when it was given, even if no asset did.
    let changed_at = listing.changed_at.max(Some(grant.consent.created_at));
    if unchanged_since_caller(call, changed_at) {
        return Ok(None);
    }
    let page = listing.page;
    let (list_field, count_field) = list_fields(call.api).ok_or_else(|| ApiError::new(RspCode::ProcessingFailed))?;
    let mut body = stamped_body(call);
    if call.api.fields().response_field("reg_date").is_some() {
        let reg_date = listing.reg_date.ok_or_else(|| ApiError::new(RspCode::CustomerNotFound))?;
        body.string("reg_date", &reg_date);
    }
    if let Some(next) = page.next {
        body.string("next_page", &PageCursor { after: next }.encode(&query));
    }
    if let Some(count) = count_field {
        body.string(&count.name, &page.items.len().to_string());
    }
    let items = page.items.iter().map(|asset| {
        let consented = if grant.consent.covers_asset(call.api, &asset.asset_key) { "true" } else { "false" };
        (asset.item_json.as_str(), consented)
    });
    body.list_with_member(&list_field.name, "is_consent", items)?;
    Ok(Some(body))
}

/// The subject's stored document, as read with its asset or, for a customer's, now.
async fn stored_document(provider: &Provider, call: &InfoCall, subject: Subject) -> Result<StoredDocument, ApiError> {
    let document = match subject.asset {
        Some(asset) => asset.document,
        None => provider
            .store
            .document(&call.org_code, call.api.id, &subject.key)
            .await?
            .map(|d| StoredDocument { body_json: d.body.to_string(), updated_at: d.updated_at }),
    };
    document.ok_or_else(|| ApiError::new(RspCode::AssetNotFound))
}

/// The stored document of the subject as the body, or `None` when the caller is up to date.
async fn document(
    provider: &Provider,
    call: &InfoCall,
    subject: Subject,
    withheld: &[&str],
) -> Result<Option<WireBody>, ApiError> {
    let document = stored_document(provider, call, subject).await?;
    if unchanged_since_caller(call, Some(document.updated_at)) {
        return Ok(None);
    }
    let mut body = stamped_body(call);
    body.members(&wire_body::without_members(&document.body_json, withheld)?)?;
    Ok(Some(body))
}

/// A page of the subject's history rows (within the requested period, if the API takes one), after
/// the top-level fields of the subject's document when the API has any.
async fn rows(
    provider: &Provider,
    call: &InfoCall,
    grant: &Grant,
    mut subject: Subject,
    (with_document, period): (bool, (String, String)),
    withheld: &[&str],
) -> Result<Option<WireBody>, ApiError> {
    let subject_key = subject.key.clone();
    let changed_at = subject.asset.as_ref().map(|a| a.updated_at);
    let read_with_asset = subject.history.take();
    let mut body = if with_document {
        match document(provider, call, subject, withheld).await? {
            Some(body) => body,
            None => return Ok(None),
        }
    } else {
        if unchanged_since_caller(call, changed_at) {
            return Ok(None);
        }
        stamped_body(call)
    };
    let query = history_cursor_scope(call, &subject_key, &period);
    let page = match read_with_asset {
        Some(page) => page,
        None => {
            let (from, to) = period;
            let page = HistoryPage { from, to, before: cursor(call, &query)? };
            provider.store.history_page(&page.query(call, &subject_key, grant)).await?
        }
    };
    let (list_field, count_field) = list_fields(call.api).ok_or_else(|| ApiError::new(RspCode::ProcessingFailed))?;
    if let Some(next) = page.next {
        body.string("next_page", &PageCursor { after: next }.encode(&query));
    }
    if let Some(count) = count_field {
        body.string(&count.name, &page.items.len().to_string());
    }
    let items = page
        .items
        .iter()
        .map(|entry| wire_body::without_members(&entry.body_json, withheld))
        .collect::<Result<Vec<_>, _>>()?;
    body.list(&list_field.name, &items);
    Ok(Some(body))
}

/// Bounds covering every stored `occurred` (14-digit DTIME text), for APIs without a period.
const ALL_TIME: (&str, &str) = ("00000000000000", "99991231235959");

/// The inclusive period of a request as DTIME text, after the rules of ch.3.3.2 ([`PeriodRule`]).
fn period(call: &InfoCall) -> Result<(String, String), ApiError> {
    let today = mydata_spec::time::korean_date(Utc::now());
    let Some(rule) = PeriodRule::of(call.api, call.api_type, today) else {
        return Ok((ALL_TIME.0.to_owned(), ALL_TIME.1.to_owned()));
    };
    let asked = if call.api.takes_date_range() {
        let parse = |name: &str| -> Result<NaiveDate, ApiError> {
            let text = call.param(name).ok_or_else(|| invalid(format!("{name} is required")))?;
            text.parse::<Date>().map(|d| d.0).map_err(|e| invalid(format!("{name}: {e}")))
        };
        Period { from: parse("from_date")?, to: parse("to_date")? }
    } else {
        let parse = |name: &str| -> Result<Month, ApiError> {
            let text = call.param(name).ok_or_else(|| invalid(format!("{name} is required")))?;
            text.parse::<Month>().map_err(|e| invalid(format!("{name}: {e}")))
        };
        let (from, to) = (parse("from_month")?, parse("to_month")?);
        let first = |m: Month| NaiveDate::from_ymd_opt(m.year, m.month, 1).ok_or_else(|| invalid("month out of range"));
        let last = |m: Month| first(m).map(|d| d + Months::new(1) - chrono::Days::new(1));
        Period { from: first(from)?, to: last(to)? }
    };
    rule.check(asked, call.api_type).map_err(|refusal| {
        let code = match refusal {
            PeriodRefusal::Reversed => RspCode::InvalidParameter,
            PeriodRefusal::OlderThanFiveYears { .. } => RspCode::OlderThanFiveYears,
            PeriodRefusal::BeyondTwelveMonths { .. } | PeriodRefusal::TooLong { .. } => RspCode::PeriodTooLong,
        };
        ApiError::with(code, refusal.to_string())
    })?;
    Ok((format!("{}000000", asked.from.format("%Y%m%d")), format!("{}235959", asked.to.format("%Y%m%d"))))
}

/// Fields the customer must have opted into on the consent (공통-002), wherever they appear.
fn withheld_fields(options: &ConsentOptions) -> Vec<&'static str> {
    let mut fields = Vec::new();
    if !options.trans_memo {
        fields.push("trans_memo");
    }
    if !options.merchant_name_regno {
        fields.extend(["merchant_name", "merchant_regno"]);
    }
    if !options.trans_category {
        fields.push("trans_category");
    }
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_withheld_unless_the_customer_opted_into_them() {
        let options = ConsentOptions { trans_memo: true, merchant_name_regno: false, trans_category: false };
        assert_eq!(withheld_fields(&options), ["merchant_name", "merchant_regno", "trans_category"]);
        let all = ConsentOptions { trans_memo: true, merchant_name_regno: true, trans_category: true };
        assert!(withheld_fields(&all).is_empty());
    }

    #[test]
    fn stamps_are_korean_time() {
        assert_eq!(stamp_of(0).unwrap(), "19700101090000");
    }
}
