//! `ws-source eval-scheduler` end to end: a short run on a tiny market prints the same report
//! twice for one seed, writes the chart, and rejects bad arguments.

use std::process::Command;

fn eval(extra: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_ws-source"))
        .args([
            "eval-scheduler",
            "--scenario",
            "bursty",
            "--hours",
            "0.1",
            "--warmup-min",
            "1",
            "--slots",
            "20",
            "--underlyings",
            "30",
            "--chain-scale",
            "0.25",
            "--trade-rate",
            "100",
        ])
        .args(extra)
        .output()
        .expect("run the ws-source binary")
}

#[test]
fn same_seed_same_report() {
    let a = eval(&["--seed", "3"]);
    let b = eval(&["--seed", "3"]);
    assert!(a.status.success(), "{}", String::from_utf8_lossy(&a.stderr));
    let text = String::from_utf8_lossy(&a.stdout);
    assert_eq!(a.stdout, b.stdout);
    for row in ["oracle", "ours", "greedy", "static", "random", "verdict"] {
        assert!(text.contains(row), "{row} missing from:\n{text}");
    }
}

#[test]
fn writes_the_chart() {
    let path = std::env::temp_dir().join(format!("ws-source-eval-cli-{}.svg", std::process::id()));
    let out = eval(&["--plot", path.to_str().expect("utf-8 temp path")]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    if stderr.contains("no usable TrueType font") {
        eprintln!("no TrueType font on this machine: chart check skipped");
        return;
    }
    assert!(out.status.success(), "{stderr}");
    let svg = std::fs::read_to_string(&path).expect("chart written");
    assert!(svg.starts_with("<svg"), "{}", &svg[..svg.len().min(200)]);
    assert!(svg.contains("bursty"));
    let _ = std::fs::remove_file(&path);
}

#[test]
fn rejects_bad_arguments() {
    for bad in [
        &["--hours", "0"][..],
        &["--exploration-fraction", "2"],
        &["--plot", "/nonexistent-dir/x.png"],
        &["--plot", "chart.bmpx"],
    ] {
        let out = eval(bad);
        assert!(!out.status.success(), "{bad:?} accepted");
        assert!(!out.stderr.is_empty());
    }
}
