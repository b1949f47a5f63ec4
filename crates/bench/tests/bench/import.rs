//! The import benchmark on a few customers: the records `mydata testdata --ndjson` prints, written
//! to a file and imported whole into an empty database of each backend.

use mydata_bench::import::ImportBench;
use mydata_store::Backend;

#[tokio::test]
async fn generated_records_are_imported_on_both_backends() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("records.ndjson");
    let bench = ImportBench { customers: 12, batch: 40, seed: 3 };
    let generated = bench.generate(&file).unwrap();
    let text = std::fs::read_to_string(&file).unwrap();
    assert_eq!(text.lines().count(), generated.records);
    assert_eq!(text.len() as u64, generated.bytes);
    // Each person is a customer of the bank and of the card company.
    let customers = text.lines().filter(|l| l.contains(r#""customer":{"#)).count();
    assert_eq!(customers as u64, 2 * bench.people());
    let json_alone = bench.read_json_alone(&file).unwrap();
    assert!(json_alone.is_finite() && json_alone >= 0.0, "{json_alone}");
    let broken = dir.path().join("broken.ndjson");
    std::fs::write(&broken, format!("{text}{{\"org_code\":\n")).unwrap();
    assert!(bench.read_json_alone(&broken).is_err(), "the baseline reads every line as JSON");
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let mut read = 0;
        let run = bench.import(&file, backend, |bytes| read += bytes).await.unwrap();
        assert_eq!(read, generated.bytes, "{backend:?}: every byte read once");
        let summary = &run.summary;
        assert_eq!((summary.records, summary.customers), (generated.records, customers), "{backend:?}");
        // Histories hold many rows a record: more rows than records were written.
        assert!(summary.rows > summary.records as u64, "{backend:?}: {summary}");
        assert!(run.customers_per_second(bench.people()) > 0.0);
    }
}
