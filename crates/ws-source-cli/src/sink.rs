//! Batch sinks: JSON lines to a file or stdout.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

use ws_source::{DataBatch, TradeOrNbbo};

/// Writes each batch as one JSON object per line.
pub struct JsonLines {
    out: BufWriter<Box<dyn Write + Send>>,
}

impl JsonLines {
    /// `-` means stdout.
    pub fn create(path: &Path) -> io::Result<JsonLines> {
        let out: Box<dyn Write + Send> = if path.as_os_str() == "-" {
            Box::new(io::stdout())
        } else {
            Box::new(File::create(path)?)
        };
        Ok(JsonLines {
            out: BufWriter::with_capacity(1 << 20, out),
        })
    }

    pub fn write(&mut self, batch: &DataBatch<TradeOrNbbo>) -> io::Result<()> {
        serde_json::to_writer(&mut self.out, batch)?;
        self.out.write_all(b"\n")
    }

    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}
