//! Institutions as the operator's pages name them: by the name the portal's registry (지원-002)
//! gives them and their industry in Korean, not by org_code and industry code.

use mydata_collector::OperatorStore;
use mydata_spec::Industry;
use mydata_store::StoreResult;
use mydata_store::prelude::*;
use std::collections::HashMap;

/// The names the operator's copy of the registry gives institutions, by org_code.
pub(crate) struct InstitutionNames(HashMap<String, String>);

impl InstitutionNames {
    pub(crate) async fn of(store: &OperatorStore) -> StoreResult<InstitutionNames> {
        let orgs = store.sql().registry_orgs().await?;
        Ok(InstitutionNames(
            orgs.into_iter().filter_map(|o| Some((o.org_code, o.body.get("org_name")?.as_str()?.to_owned()))).collect(),
        ))
    }

    /// The institution's registered name, or its industry and org_code where the registry has none.
    pub(crate) fn name(&self, org_code: &str, industry: &str) -> String {
        self.0.get(org_code).cloned().unwrap_or_else(|| format!("{} {org_code}", industry_korean(industry)))
    }
}

/// An industry code (`bank`) as people call it (`은행`); an unknown one as it is.
pub(crate) fn industry_korean(industry: &str) -> &str {
    match industry.parse::<Industry>() {
        Ok(known) => known.korean(),
        Err(_) => industry,
    }
}
