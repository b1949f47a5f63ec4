//! The portal's and participants' support data, on SQLite and on PostgreSQL.

use mydata_store::*;
use serde_json::json;

fn portal_org(code: &str, client: Option<&str>, at: i64) -> PortalOrg {
    PortalOrg {
        org_code: code.into(),
        org_type: "01".into(),
        body: json!({"org_name": "한빛은행", "industry": "bank"}),
        support_client_id: client.map(str::to_owned),
        support_secret_hash: client.map(|_| "sha256$00".to_owned()),
        created_at: at,
        updated_at: at,
        deleted_at: None,
    }
}

fn cell(day: &str, success: i64, total: i64) -> CallStats {
    CallStats {
        org_code: "BANK000001".into(),
        client_id: "svc".into(),
        api_code: "BA01".into(),
        stat_type: "2".into(),
        stat_date: day.into(),
        tm_slot: "00".into(),
        success_cnt: success,
        fail_cnt: 1,
        rsp_total_ms: total,
        rsp_square_total: total * total,
    }
}

both_backends!(portal_registry_reports_changes_since_a_time, |store| async move {
    store.upsert_portal_org(&portal_org("BANK000001", Some("bank-support"), 100)).await.unwrap();
    store.upsert_portal_org(&portal_org("CARD000001", None, 200)).await.unwrap();
    let changed: Vec<String> =
        store.portal_orgs_changed_since(150).await.unwrap().into_iter().map(|o| o.org_code).collect();
    assert_eq!(changed, ["CARD000001"]);
    assert_eq!(store.portal_orgs_changed_since(0).await.unwrap().len(), 2);
    let by_client = store.portal_org_by_support_client("bank-support").await.unwrap().unwrap();
    assert_eq!(by_client.org_code, "BANK000001");
    assert_eq!(by_client.body["industry"], "bank");
    assert!(store.portal_org_by_support_client("nobody").await.unwrap().is_none());
    // Two institutions cannot share one support client_id.
    let clash = store.upsert_portal_org(&portal_org("CARD000001", Some("bank-support"), 300)).await;
    assert!(matches!(clash, Err(StoreError::Conflict(_))), "{clash:?}");
    // Deletion is a change like any other, with its time.
    let deleted = PortalOrg { updated_at: 400, deleted_at: Some(400), ..portal_org("CARD000001", None, 200) };
    store.upsert_portal_org(&deleted).await.unwrap();
    assert_eq!(store.portal_org("CARD000001").await.unwrap().unwrap().deleted_at, Some(400));

    let service = PortalService {
        client_id: "svc".into(),
        org_code: "OPERAT0001".into(),
        body: json!({"service_name": "가계부", "client_secret": "s"}),
        created_at: 100,
        updated_at: 100,
        deleted_at: None,
    };
    store.upsert_portal_service(&service).await.unwrap();
    assert_eq!(store.portal_service("svc").await.unwrap(), Some(service.clone()));
    assert!(store.portal_services_changed_since(101).await.unwrap().is_empty());
    assert_eq!(store.portal_services_changed_since(100).await.unwrap(), vec![service]);
});

both_backends!(received_statistics_are_replaced_by_a_resend, |store| async move {
    let report = ReceivedStatistics {
        api_id: "지원-005".into(),
        sender_org_code: "BANK000001".into(),
        subject: "BANK000001".into(),
        stat_type: "1".into(),
        inquiry_date: "20210912".into(),
        body: json!({"type": "1"}),
        received_at: 1,
    };
    store.put_received_statistics(&report).await.unwrap();
    let resent = ReceivedStatistics { body: json!({"type": "1", "again": "yes"}), received_at: 2, ..report.clone() };
    store.put_received_statistics(&resent).await.unwrap();
    let older = ReceivedStatistics { inquiry_date: "20210905".into(), api_id: "지원-004".into(), ..report.clone() };
    store.put_received_statistics(&older).await.unwrap();
    let all = store.received_statistics(None).await.unwrap();
    assert_eq!(all, vec![resent, older.clone()], "newest week first, the resend in place of the first report");
    assert_eq!(store.received_statistics(Some("지원-004")).await.unwrap(), vec![older]);
});

both_backends!(call_statistics_add_up_across_batches, |store| async move {
    store.add_call_stats(&[cell("20210906", 2, 30), cell("20210907", 1, 10)]).await.unwrap();
    store.add_call_stats(&[cell("20210906", 3, 20)]).await.unwrap();
    let week = store.call_stats("BANK000001", "20210905", "20210911").await.unwrap();
    assert_eq!(week.len(), 2);
    assert_eq!((week[0].success_cnt, week[0].fail_cnt, week[0].rsp_total_ms), (5, 2, 50));
    assert_eq!(week[0].rsp_square_total, 30 * 30 + 20 * 20);
    assert!(store.call_stats("BANK000001", "20210912", "20210918").await.unwrap().is_empty());
    assert!(store.call_stats("CARD000001", "20210905", "20210911").await.unwrap().is_empty());
    // An operator reads its service's calls at every provider.
    let card = CallStats { org_code: "CARD000001".into(), ..cell("20210906", 1, 5) };
    store.add_call_stats(&[card]).await.unwrap();
    let of_client = store.call_stats_of_client("svc", "20210906", "20210906").await.unwrap();
    let providers: Vec<&str> = of_client.iter().map(|c| c.org_code.as_str()).collect();
    assert_eq!(providers, ["BANK000001", "CARD000001"]);
    assert!(store.call_stats_of_client("other", "20210905", "20210911").await.unwrap().is_empty());
});

both_backends!(participants_keep_the_registry_and_settings, |store| async move {
    let row = RegistryOrgRow {
        org_code: "OPERAT0001".into(),
        org_type: "03".into(),
        body: json!({"domain": "api.example"}),
        updated_at: 5,
    };
    store.upsert_registry_org(&row).await.unwrap();
    assert_eq!(store.registry_org("OPERAT0001").await.unwrap(), Some(row.clone()));
    assert_eq!(store.registry_orgs().await.unwrap(), vec![row]);
    store.remove_registry_org("OPERAT0001").await.unwrap();
    assert!(store.registry_orgs().await.unwrap().is_empty());

    assert_eq!(store.support_setting("k").await.unwrap(), None);
    assert_eq!(store.support_setting_or_insert("k", "first").await.unwrap(), "first");
    assert_eq!(store.support_setting_or_insert("k", "second").await.unwrap(), "first", "the first value stays");
    store.set_support_setting("k", "third").await.unwrap();
    assert_eq!(store.support_setting("k").await.unwrap().as_deref(), Some("third"));

    let client = Client {
        client_id: "svc".into(),
        client_secret_hash: "sha256$00".into(),
        org_code: "OPERAT0001".into(),
        client_name: "가계부".into(),
        redirect_uris: vec!["https://app.example/cb".into()],
        app_schemes: None,
        updated_at: 1,
    };
    store.upsert_client(&client).await.unwrap();
    assert!(store.delete_client("svc").await.unwrap());
    assert!(!store.delete_client("svc").await.unwrap());
    assert!(store.client("svc").await.unwrap().is_none());
});

both_backends!(concurrent_batches_over_the_same_cells_in_opposite_orders_all_count, |store| async move {
    // Two processes flushing their statistics at once touch the same cells; on PostgreSQL, taking
    // the rows in different orders would deadlock one of them.
    let forward: Vec<CallStats> = (1..=28).map(|day| cell(&format!("202102{day:02}"), 1, 1)).collect();
    let backward: Vec<CallStats> = forward.iter().rev().cloned().collect();
    for _ in 0..10 {
        let (a, b) = tokio::join!(store.add_call_stats(&forward), store.add_call_stats(&backward));
        a.unwrap();
        b.unwrap();
    }
    let month = store.call_stats("BANK000001", "20210201", "20210228").await.unwrap();
    assert_eq!(month.len(), 28);
    assert!(month.iter().all(|c| c.success_cnt == 20), "every batch counted once");
});
