//! Times the pieces of an offline evaluation hour (ticks only, trades, oracle).
use massive_sim::{Feeds, Market, MarketConfig, Rates};
use std::time::{Duration, Instant};

fn main() {
    for (name, feeds, oracle) in [
        ("ticks only", Feeds::NONE, false),
        ("trades", Feeds::OPTION_TRADES, false),
        ("trades+oracle/min", Feeds::OPTION_TRADES, true),
    ] {
        let cfg = MarketConfig {
            rates: Rates::option_trades_only(2_000.0),
            ..MarketConfig::drifting()
        };
        let mut m = Market::new(cfg, 7);
        let t0 = Instant::now();
        let mut n = 0;
        for _ in 0..60 {
            n += m.advance_feeds(Duration::from_secs(60), feeds).len();
            if oracle {
                let _ = m.option_trade_intensities();
            }
        }
        println!("{name}: {n} events, {:.2} s", t0.elapsed().as_secs_f64());
    }
}
