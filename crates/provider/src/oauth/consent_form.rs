//! The consent page (ch.3 ⑨): what a customer must be able to specify (신용정보법 제33조의2제5항 —
//! the information to send, whether and how often it is sent regularly, until when, for what and
//! kept how long), in names and plain Korean; and the choice the page posts back, checked against
//! what it offered.

use super::choices::{AssetChoice, optional_items, yes_no_scopes};
use super::page::{escape, render, script_tag};
use crate::Provider;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{Datelike, NaiveDate};
use mydata_domain::{
    CHOOSABLE_CYCLES, Consent, ConsentAssets, ConsentOptions, ConsentStage, ConsentTerms, Cycle, ScopeSet,
};
use mydata_spec::catalogue::{info_apis, list_scope};
use mydata_spec::{AssetGroup, Industry};
use mydata_store::AuthSession;
use serde_json::Value;
use std::collections::BTreeMap;

/// Who asks and who is asked, by the names the registry gives them (지원-002 org_name, 지원-003
/// service_name).
pub(super) struct Parties {
    /// The institution the data comes from (this provider's, for the session's org_code).
    pub institution: String,
    /// The MyData service that asks.
    pub service: String,
    /// The operator running the service, when the registry names it.
    pub operator: Option<String>,
}

impl Parties {
    pub(super) async fn of(provider: &Provider, session: &AuthSession) -> Parties {
        let client = provider.store.client(&session.client_id).await.unwrap_or_else(|e| {
            tracing::warn!(error = %e, "reading the service's name for the consent page");
            None
        });
        let operator = match &client {
            Some(client) => registry_name(provider, &client.org_code).await,
            None => None,
        };
        let institution = match registry_name(provider, &session.org_code).await {
            Some(name) => name,
            // Without a portal the registry is empty: the industry says at least what kind of institution.
            None => match super::authorize::industry_of(provider, &session.org_code) {
                Some(industry) => format!("{} ({})", industry.korean(), session.org_code),
                None => session.org_code.clone(),
            },
        };
        let service = client.map(|c| c.client_name).unwrap_or_else(|| session.client_id.clone());
        Parties { institution, operator: operator.filter(|name| *name != service), service }
    }

    /// The service, with its operator where known, as HTML.
    fn service_html(&self) -> String {
        let service = format!("<strong id=\"service-name\">{}</strong>", escape(&self.service));
        match &self.operator {
            Some(operator) => format!("{service} <span class=\"operator\">({})</span>", escape(operator)),
            None => service,
        }
    }

    /// The sign-in page's opening line.
    pub(super) fn sign_in_notice(&self) -> String {
        format!(
            "<p class=\"notice\">{} 서비스가 <strong id=\"institution-name\">{}</strong>에 고객님의 개인신용정보를 \
             보내 달라고 요청했습니다. 먼저 본인임을 확인해 주십시오.</p>",
            self.service_html(),
            escape(&self.institution)
        )
    }
}

async fn registry_name(provider: &Provider, org_code: &str) -> Option<String> {
    match provider.store.registry_org(org_code).await {
        Ok(row) => row?.body.get("org_name").and_then(Value::as_str).map(str::to_owned),
        Err(e) => {
            tracing::warn!(error = %e, org_code, "reading an institution's name from the registry copy");
            None
        }
    }
}

/// A date as a customer reads it: `2027년 12월 6일(월)`.
fn date_words(date: NaiveDate) -> String {
    const WEEKDAYS: [&str; 7] = ["일", "월", "화", "수", "목", "금", "토"];
    let weekday = WEEKDAYS[date.weekday().num_days_from_sunday() as usize];
    format!("{}년 {}월 {}일({weekday})", date.year(), date.month(), date.day())
}

fn checkbox(name: &str, value: &str, label: &str, id: &str, checked: bool) -> String {
    format!(
        "<label><input type=\"checkbox\" name=\"{}\" value=\"{}\" id=\"{}\"{}> {}</label>",
        escape(name),
        escape(value),
        escape(id),
        if checked { " checked" } else { "" },
        escape(label)
    )
}

/// What the page shows: the parties, the customer's assets and the earlier consent to start from.
pub(super) struct ConsentPage<'a> {
    pub handle: &'a str,
    pub parties: &'a Parties,
    pub industry: Industry,
    pub assets: &'a [AssetChoice],
    /// The customer's live consent with this service here: a 전송요구 변경 starts from its choices
    /// (ch.3.2.1.1 ⑧).
    pub earlier: Option<&'a Consent>,
    pub today: NaiveDate,
}

impl ConsentPage<'_> {
    pub(super) fn render(&self) -> Response {
        let mut body = format!(
            "<p class=\"lead\">{} 서비스가 <strong id=\"institution-name\">{}</strong>에 고객님의 개인신용정보를 보내 달라고 \
             요청했습니다.</p><p class=\"notice\">보낼 정보를 골라 주십시오. 고르지 않은 정보는 보내지 않습니다.</p>",
            self.parties.service_html(),
            escape(&self.parties.institution)
        );
        if self.earlier.is_some() {
            body.push_str(
                "<p class=\"notice\" id=\"change-notice\">지금 보내고 있는 내용이 선택되어 있습니다. 바꾸실 부분만 \
                 고쳐 주십시오. 새로 동의하시면 이전 동의를 대신합니다.</p>",
            );
        }
        body.push_str(&format!(
            "<form method=\"post\" action=\"{}/{}\"><h2>보낼 정보 <small>(전송을 요구하는 개인신용정보)</small></h2>",
            super::authorize::CONSENT_PATH,
            escape(self.handle)
        ));
        body.push_str(&self.assets_html());
        body.push_str(&self.cycle_html());
        body.push_str(&self.end_html());
        body.push_str(&self.options_html());
        let service = escape(&self.parties.service);
        body.push_str(&format!(
            "<p class=\"notice\">보내는 목적: {service} 서비스 제공<br>받은 곳에서 정보를 보관하는 기간(보유기간): 서비스를 \
             탈퇴하시거나 삭제를 요구하실 때까지</p><div class=\"actions\">\
             <button type=\"submit\" name=\"decision\" value=\"approve\" id=\"approve\">동의하고 보내기</button>\
             <button type=\"submit\" name=\"decision\" value=\"refuse\" id=\"refuse\">보내지 않기</button></div></form>"
        ));
        body.push_str(&script_tag());
        render(StatusCode::OK, "개인신용정보 전송요구", &body)
    }

    fn chosen(&self, asset: &AssetChoice) -> bool {
        self.earlier.is_some_and(|c| c.assets.contains(asset.asset.list_id(), &asset.asset.key))
    }

    /// The assets by group, each group with a box choosing all of it; then the yes/no items.
    fn assets_html(&self) -> String {
        let yes_no = yes_no_scopes(self.industry);
        if self.assets.is_empty() && yes_no.is_empty() {
            return "<p>이 기관에서 보낼 수 있는 자산이 없습니다. 자산 목록만 보냅니다.</p>".into();
        }
        let mut groups: BTreeMap<AssetGroup, Vec<(usize, &AssetChoice)>> = BTreeMap::new();
        for (n, asset) in self.assets.iter().enumerate() {
            groups.entry(asset.group).or_default().push((n, asset));
        }
        let mut html = String::new();
        for (group, members) in groups {
            let (code, name) = (group.code(), group.korean());
            // Never ticked here: without a script a ticked group box would send the whole group
            // whatever its assets' boxes say; the script ticks it when all of them are.
            html.push_str(&format!(
                "<fieldset class=\"group\" id=\"group-{code}\"><legend>{name} <span class=\"count\">{}개</span></legend>\
                 <label class=\"all\"><input type=\"checkbox\" name=\"asset_group\" value=\"{code}\" id=\"all-{code}\"> \
                 {name} 모두 선택</label>",
                members.len(),
            ));
            for (n, asset) in members {
                let key = escape(&asset.asset.key);
                let text = match &asset.name {
                    Some(product) => {
                        format!("<span class=\"name\">{}</span><span class=\"key\">{key}</span>", escape(product))
                    }
                    None => format!("<span class=\"name\">{key}</span>"),
                };
                html.push_str(&format!(
                    "<label class=\"asset\"><input type=\"checkbox\" name=\"asset\" value=\"{}\" id=\"asset-{n}\" \
                     data-group=\"{code}\"{}> <span class=\"text\">{text}</span></label>",
                    escape(&asset.asset.to_string()),
                    if self.chosen(asset) { " checked" } else { "" },
                ));
            }
            html.push_str("</fieldset>");
        }
        if !yes_no.is_empty() {
            html.push_str("<fieldset><legend>그 밖에 보낼 정보</legend>");
            for scope in yes_no {
                let name = info_apis(self.industry)
                    .find(|a| a.scope_for(self.industry).as_deref() == Some(scope.as_str()))
                    .map(|a| a.name.trim_end_matches(" 조회"))
                    .unwrap_or(scope.as_str());
                let chosen = self.earlier.is_some_and(|c| c.scopes.contains(&scope));
                html.push_str(&checkbox("scope", &scope, name, &format!("scope-{scope}"), chosen));
            }
            html.push_str("</fieldset>");
        }
        html
    }

    /// 정기적 전송: whether, and how often, said in words.
    fn cycle_html(&self) -> String {
        let scheduled = self.earlier.is_some_and(|c| c.is_scheduled);
        let earlier_cycle = self.earlier.and_then(|c| c.fnd_cycle.as_deref()).and_then(Cycle::parse);
        let shown = earlier_cycle.filter(|c| CHOOSABLE_CYCLES.contains(c)).unwrap_or(Cycle::WEEKLY);
        let options: String = CHOOSABLE_CYCLES
            .iter()
            .map(|cycle| {
                let selected = if *cycle == shown && earlier_cycle.is_some() { " selected" } else { "" };
                format!("<option value=\"{}\"{selected}>{}</option>", cycle, cycle.korean())
            })
            .collect();
        let words = format!("<span class=\"cycle-words\">{}</span>", shown.korean());
        format!(
            "<h2>정기적으로 보내기 <small>(정기적 전송)</small></h2><fieldset>{}\
             <label>얼마나 자주 <select name=\"cycle\" id=\"cycle\">{options}</select></label>\
             <p class=\"hint\" id=\"cycle-text\">동의하시면 고객님이 앱을 열지 않으셔도 고르신 정보의 새 내용을 \
             {words} 보냅니다. 잔액 같은 기본정보도, 거래내역 같은 추가정보도 {words}입니다. 동의하지 않으시면 \
             고객님이 앱에서 직접 조회하실 때에만 보냅니다.</p></fieldset>",
            checkbox("is_scheduled", "true", "정기적으로 보내는 데 동의합니다", "is_scheduled", scheduled),
        )
    }

    /// 전송요구 종료시점: the end date, said in words.
    fn end_html(&self) -> String {
        let end_dates = ConsentStage::Assets.end_dates(self.today);
        let (today, latest) = (self.today, *end_dates.end());
        let end = self.earlier.map(|c| c.end_date).filter(|d| end_dates.contains(d)).unwrap_or(latest);
        format!(
            "<h2>언제까지 보낼지 <small>(전송요구 종료시점)</small></h2><fieldset><label>종료일 <input type=\"date\" name=\"end_date\" id=\"end_date\" \
             value=\"{end}\" min=\"{today}\" max=\"{latest}\" required></label>\
             <p class=\"hint\" id=\"end-text\"><span id=\"end-words\">{}</span>까지 보내고, 그다음 날부터는 보내지 \
             않습니다. 가장 늦게는 1년 뒤인 {}까지 정하실 수 있고, 그 전에라도 언제든 철회하실 수 있습니다.</p></fieldset>",
            date_words(end),
            date_words(latest),
        )
    }

    /// 공통-002's optional items the industry has.
    fn options_html(&self) -> String {
        let optional = optional_items(self.industry);
        let chosen = self.earlier.map(|c| c.options).unwrap_or_default();
        let items = [
            (optional.trans_memo, "trans_memo", "적요/거래메모", "option-trans_memo", chosen.trans_memo),
            (
                optional.merchant_name_regno,
                "merchant_name_regno",
                "가맹점명/사업자등록번호",
                "option-merchant",
                chosen.merchant_name_regno,
            ),
            (optional.trans_category, "trans_category", "상품(구매) 분류", "option-category", chosen.trans_category),
        ];
        let boxes: String = items
            .iter()
            .filter(|(applies, ..)| *applies)
            .map(|(_, value, label, id, checked)| checkbox("option", value, label, id, *checked))
            .collect();
        if boxes.is_empty() {
            return boxes;
        }
        format!(
            "<fieldset><legend>함께 보낼 수 있는 항목 <small>(선택 전송항목, 고르지 않으셔도 됩니다)</small></legend>{boxes}</fieldset>"
        )
    }
}

/// The customer's choices, checked against what was offered.
pub(super) struct Choice {
    pub assets: ConsentAssets,
    pub scopes: ScopeSet,
    pub terms: ConsentTerms,
    pub options: ConsentOptions,
}

impl Choice {
    /// Reads the posted form. A group's box chooses every asset of the group (what it does in the
    /// browser too, and without a script it is the only way it can).
    pub(super) fn read(
        pairs: &[(String, String)],
        industry: Industry,
        offered: &[AssetChoice],
        today: NaiveDate,
    ) -> Result<Choice, String> {
        fn values<'a>(pairs: &'a [(String, String)], name: &'a str) -> impl Iterator<Item = &'a str> {
            pairs.iter().filter(move |(k, _)| k == name).map(|(_, v)| v.as_str())
        }
        let mut scopes: ScopeSet = list_scope(industry).parse().map_err(|e| format!("{e}"))?;
        let mut chosen: Vec<&AssetChoice> = Vec::new();
        for named in values(pairs, "asset") {
            // An asset is named by its list and its key (`은행-001:…`), as the page offered it.
            chosen.push(offered.iter().find(|a| a.asset.to_string() == named).ok_or("an asset that was not offered")?);
        }
        for code in values(pairs, "asset_group") {
            let group = AssetGroup::from_code(code).ok_or("an unknown asset group")?;
            let members: Vec<&AssetChoice> = offered.iter().filter(|a| a.group == group).collect();
            if members.is_empty() {
                return Err(format!("asset group {code} was not offered"));
            }
            chosen.extend(members);
        }
        let mut assets = ConsentAssets::default();
        for asset in chosen {
            asset.scopes.iter().for_each(|s| scopes.insert(s.clone()));
            assets.insert(asset.asset.clone());
        }
        let yes_no = yes_no_scopes(industry);
        for scope in values(pairs, "scope") {
            if !yes_no.iter().any(|s| s == scope) {
                return Err(format!("scope {scope} was not offered"));
            }
            scopes.insert(scope);
        }
        let is_scheduled = values(pairs, "is_scheduled").any(|v| v == "true");
        // The page always sends its select's cycle; it counts only when 정기적 전송 is ticked.
        let cycle = values(pairs, "cycle").next().filter(|_| is_scheduled).map(str::to_owned);
        let end_text = values(pairs, "end_date").next().ok_or("end_date is required")?;
        let end_date = NaiveDate::parse_from_str(end_text, "%Y-%m-%d").map_err(|_| "end_date is not a date")?;
        let terms = ConsentTerms {
            is_scheduled,
            fnd_cycle: cycle.clone(),
            add_cycle: cycle,
            end_date,
            // 공통-002: individual authentication keeps the data until the service ends.
            period: *ConsentStage::Assets.periods(today).start(),
        };
        terms.check(ConsentStage::Assets, today).map_err(|e| e.to_string())?;
        let optional = optional_items(industry);
        let option = |name: &str, applies: bool| applies && values(pairs, "option").any(|v| v == name);
        Ok(Choice {
            assets,
            scopes,
            terms,
            options: ConsentOptions {
                trans_memo: option("trans_memo", optional.trans_memo),
                merchant_name_regno: option("merchant_name_regno", optional.merchant_name_regno),
                trans_category: option("trans_category", optional.trans_category),
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_said_with_their_weekday() {
        assert_eq!(date_words(NaiveDate::from_ymd_opt(2027, 12, 6).unwrap()), "2027년 12월 6일(월)");
        assert_eq!(date_words(NaiveDate::from_ymd_opt(2026, 12, 6).unwrap()), "2026년 12월 6일(일)");
    }
}
