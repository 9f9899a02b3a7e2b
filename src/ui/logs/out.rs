//! Log lines written to stdout with their aligned, coloured prefix; a closed pipe
//! (`berth logs | head`) ends the writing quietly.

use std::collections::HashMap;
use std::io::{BufWriter, Write};

use super::line::Line;
use super::COLORS;
use crate::ui::terminal::paint;

/// Writes prefixed lines to stdout; remembers a closed pipe.
pub struct Out {
    w: BufWriter<std::io::Stdout>,
    prefix: bool,
    color: bool,
    timestamps: bool,
    width: usize,
    colors: HashMap<String, u8>,
    pub closed: bool,
}

impl Out {
    pub fn new(prefix: bool, color: bool, timestamps: bool) -> Out {
        Out {
            w: BufWriter::with_capacity(64 * 1024, std::io::stdout()),
            prefix,
            color,
            timestamps,
            width: 0,
            colors: HashMap::new(),
            closed: false,
        }
    }
    /// Makes room for a name in the prefix column and gives its service a colour.
    pub fn register(&mut self, name: &str, service: &str) {
        self.width = self.width.max(name.chars().count());
        let n = self.colors.len();
        self.colors
            .entry(service.to_string())
            .or_insert(COLORS[n % COLORS.len()]);
    }
    /// Writes one line; false once stdout is closed.
    pub fn line(&mut self, l: &Line) -> bool {
        if self.closed {
            return false;
        }
        if l.note {
            if self.w.write_all(&l.bytes).is_err() {
                self.closed = true;
            }
            return !self.closed;
        }
        if self.prefix {
            self.register(&l.name, &l.service);
        }
        let mut head = String::new();
        if self.prefix {
            let pad = format!("{:<w$} |", &*l.name, w = self.width + 1);
            match (self.color, self.colors.get(&*l.service)) {
                (true, Some(c)) => {
                    head.push_str(&paint(&pad, *c));
                    head.push(' ');
                }
                _ => {
                    head.push_str(&pad);
                    head.push(' ');
                }
            }
        }
        if self.timestamps && !l.ts.is_empty() {
            head.push_str(&l.ts);
            head.push(' ');
        }
        let r = self
            .w
            .write_all(head.as_bytes())
            .and_then(|_| self.w.write_all(&l.bytes));
        if r.is_err() {
            self.closed = true;
        }
        !self.closed
    }
    pub fn flush(&mut self) -> bool {
        if !self.closed && self.w.flush().is_err() {
            self.closed = true;
        }
        !self.closed
    }
}
