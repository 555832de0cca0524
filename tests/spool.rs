//! `init` with the development spool: a process-wide client, so this file is its own test
//! binary (its own process) and holds a single test.

#[test]
fn spool_writes_one_scrubbed_json_line_per_envelope() {
    let dir = std::env::temp_dir().join(format!("vigil-spool-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("spool.jsonl");
    let _ = std::fs::remove_file(&path);
    let guard = vigil::init_with(
        vigil::Config::new()
            .spool(vigil::Spool::File(path.clone()))
            .release("spool-test@1.0.0"),
    )
    .unwrap();
    assert!(guard.is_enabled());
    let id = vigil::capture_message!("login for token Bearer abc.def.ghi", user_id = 5);
    assert!(!id.is_nil());
    {
        let tx = vigil::start_transaction("spooled", "task");
        tx.set_tag("k", "v");
    }
    drop(guard);
    let text = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2, "{text}");
    let event = &lines[0]["items"][0];
    assert_eq!(event["type"], "event");
    assert_eq!(
        event["payload"]["event_id"],
        id.simple().to_string().as_str()
    );
    assert_eq!(event["payload"]["message"], "login for token [Filtered]");
    assert_eq!(event["payload"]["release"], "spool-test@1.0.0");
    assert_eq!(event["payload"]["tags"]["user_id"], "5");
    let tx = &lines[1]["items"][0];
    assert_eq!(tx["type"], "transaction");
    assert_eq!(tx["payload"]["transaction"], "spooled");
    assert!(!text.contains("abc.def.ghi"));
    let _ = std::fs::remove_dir_all(&dir);
}
