//! Following `next_page` (ch.2.1) safely, and remembering `search_timestamp` per resource.

use crate::call::{Answer, Call, Client};
use crate::error::{ClientError, ClientResult};
use mydata_spec::ApiSpec;
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

/// The response field that holds the items of a paged answer (`account_list`, `trans_list`, …).
pub fn list_field(api: &ApiSpec) -> Option<&'static str> {
    mydata_spec::subject::list_fields(api).map(|(list, _)| list.name.as_str())
}

/// Every page of one query joined: the first page's fields, with the list holding all items.
#[derive(Debug, Clone)]
pub struct Fetched {
    /// The first page's answer with the list field replaced by every page's items.
    pub answer: Answer,
    pub pages: u32,
}

impl Fetched {
    /// The joined items (empty when the API has no list).
    pub fn items(&self) -> &[Value] {
        list_field(self.answer.api)
            .and_then(|name| self.answer.body.get(name))
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// Whether the provider answered 00001 (nothing changed since the search_timestamp sent).
    pub fn up_to_date(&self) -> bool {
        self.answer.rsp_code() == Some(mydata_spec::RspCode::UpToDate)
    }
}

impl Client {
    /// Sends `call` and, when the API pages, follows `next_page` to the end: `limit` is set on every
    /// page, `search_timestamp` only on the first (ch.2.1). Stops with an error when the provider
    /// repeats a cursor (which would loop forever) or sends more than `page_cap` pages.
    pub async fn fetch(&self, base_url: &str, call: &Call) -> ClientResult<Fetched> {
        let api = call.api;
        if !api.pages() {
            return Ok(Fetched { answer: self.send(base_url, call).await?, pages: 1 });
        }
        let list = list_field(api);
        let mut page_call = call.clone();
        page_call.params.insert("limit".into(), self.page_limit.to_string());
        let mut first: Option<Answer> = None;
        let mut items: Vec<Value> = Vec::new();
        let mut seen = HashSet::new();
        let mut pages = 0;
        loop {
            let mut answer = self.send(base_url, &page_call).await?;
            pages += 1;
            if let Some(Value::Array(page_items)) = list.and_then(|name| answer.body.remove(name)) {
                items.extend(page_items);
            }
            let next = answer.text("next_page");
            first.get_or_insert(answer);
            let Some(next) = next else { break };
            if !seen.insert(next.clone()) {
                return Err(ClientError::RepeatingCursor { api: api.id, cursor: next });
            }
            if pages >= self.page_cap {
                return Err(ClientError::PageCap { api: api.id, cap: self.page_cap });
            }
            page_call.params.remove("search_timestamp");
            page_call.params.insert("next_page".into(), next);
        }
        let mut answer = first.expect("the loop sends at least one page");
        answer.body.remove("next_page");
        if let Some(name) = list {
            answer.body.insert(name.to_owned(), Value::Array(items));
            mydata_spec::counts::set_counts(&mut answer.body);
        }
        Ok(Fetched { answer, pages })
    }

    /// [`Client::fetch`] with the `search_timestamp` of this resource taken from and returned to `memory`.
    pub async fn fetch_remembering(
        &self,
        base_url: &str,
        call: &Call,
        memory: &SearchTimestamps,
        resource: &ResourceKey,
    ) -> ClientResult<Fetched> {
        if !call.api.takes_search_timestamp() {
            return self.fetch(base_url, call).await;
        }
        let call = call.clone().param("search_timestamp", memory.get(resource).unwrap_or_else(|| "0".into()));
        let fetched = self.fetch(base_url, &call).await?;
        if let Some(stamp) = fetched.answer.text("search_timestamp") {
            memory.set(resource.clone(), stamp);
        }
        Ok(fetched)
    }
}

/// What a `search_timestamp` belongs to: one API about one subject at one institution.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ResourceKey {
    pub org_code: String,
    pub api_id: String,
    /// The asset key, or the customer for customer-level APIs.
    pub subject: String,
}

/// The `search_timestamp` last answered for each resource (ch.2.1 ST), held in memory; the
/// collector persists it next to the data it came with.
#[derive(Debug, Default)]
pub struct SearchTimestamps(Mutex<HashMap<ResourceKey, String>>);

impl SearchTimestamps {
    pub fn get(&self, key: &ResourceKey) -> Option<String> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).get(key).cloned()
    }

    pub fn set(&self, key: ResourceKey, stamp: String) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).insert(key, stamp);
    }

    pub fn snapshot(&self) -> HashMap<ResourceKey, String> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}
