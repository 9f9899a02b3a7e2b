//! The terminal, through crossterm: raw mode for an interactive session, the window's size
//! (and following its changes into a container's TTY), colours, and the cursor moves that
//! redraw progress in place. No escape sequence is written by hand anywhere else.

use std::fmt::Display;
use std::io::IsTerminal;

use crossterm::style::{Color, Stylize};
use crossterm::{cursor, terminal, Command};

use berth_engine::Engine;

/// The terminal in raw mode until dropped (restored on every path out, a panic included).
pub struct RawMode(());

impl RawMode {
    /// Puts the terminal on stdin in raw mode; None when stdin is not a terminal.
    pub fn enable() -> Option<RawMode> {
        if !std::io::stdin().is_terminal() {
            return None;
        }
        terminal::enable_raw_mode().ok().map(|()| RawMode(()))
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        let _ = terminal::disable_raw_mode();
    }
}

/// The terminal's size as (rows, columns), when there is one.
pub fn window_size() -> Option<(u16, u16)> {
    terminal::size()
        .ok()
        .filter(|(cols, rows)| *rows > 0 && *cols > 0)
        .map(|(cols, rows)| (rows, cols))
}

/// What a terminal resize applies to: an exec instance's TTY or a container's.
#[derive(Clone)]
pub enum Resize {
    Exec(String),
    Container(String),
}

impl Resize {
    /// Gives the TTY this terminal's size now.
    pub async fn apply(&self, engine: &Engine) {
        if let Some((rows, cols)) = window_size() {
            let _ = match self {
                Resize::Exec(id) => engine.resize_exec(id, rows, cols).await,
                Resize::Container(id) => engine.resize_container(id, rows, cols).await,
            };
        }
    }

    /// Applies the size now and on every window change (SIGWINCH), until the returned task is
    /// aborted. (The session's stdin is read raw and sent on as bytes, so the change comes
    /// from the signal rather than from an event read off stdin.)
    pub fn follow(self, engine: &Engine) -> tokio::task::JoinHandle<()> {
        let engine = engine.clone();
        tokio::spawn(async move {
            self.apply(&engine).await;
            let Ok(mut sig) =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::window_change())
            else {
                return;
            };
            while sig.recv().await.is_some() {
                self.apply(&engine).await;
            }
        })
    }
}

/// An ANSI colour by its SGR code, as Compose v2 names its prefix colours (`36` cyan, `93`
/// bright yellow...): the same colour of the terminal's palette.
pub fn color(code: u8) -> Color {
    match code {
        30 => Color::Black,
        31 => Color::DarkRed,
        32 => Color::DarkGreen,
        33 => Color::DarkYellow,
        34 => Color::DarkBlue,
        35 => Color::DarkMagenta,
        36 => Color::DarkCyan,
        37 => Color::Grey,
        90 => Color::DarkGrey,
        91 => Color::Red,
        92 => Color::Green,
        93 => Color::Yellow,
        94 => Color::Blue,
        95 => Color::Magenta,
        96 => Color::Cyan,
        97 => Color::White,
        other => Color::AnsiValue(other),
    }
}

/// `text` in the colour of SGR `code` (as Compose v2 paints it).
pub fn paint(text: impl Display, code: u8) -> String {
    text.to_string().with(color(code)).to_string()
}

/// The sequence that moves the cursor up `lines` and clears everything below it (a redrawn
/// block), empty for none.
pub fn rewind(lines: usize) -> String {
    if lines == 0 {
        return String::new();
    }
    let mut s = String::new();
    let up = cursor::MoveUp(lines.min(u16::MAX as usize) as u16);
    let _ = up.write_ansi(&mut s);
    let _ = terminal::Clear(terminal::ClearType::FromCursorDown).write_ansi(&mut s);
    s
}

/// The sequence that clears the current line and returns to its start (a line redrawn in
/// place).
pub fn clear_line() -> String {
    let mut s = String::from("\r");
    let _ = terminal::Clear(terminal::ClearType::UntilNewLine).write_ansi(&mut s);
    s
}

/// The sequence that clears the screen and puts the cursor at its top left.
pub fn clear_screen() -> String {
    let mut s = String::new();
    let _ = terminal::Clear(terminal::ClearType::All).write_ansi(&mut s);
    let _ = cursor::MoveTo(0, 0).write_ansi(&mut s);
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sequences_are_the_ones_compose_v2_writes() {
        assert_eq!(rewind(3), "\u{1b}[3A\u{1b}[J");
        assert_eq!(rewind(0), "");
        assert_eq!(clear_line(), "\r\u{1b}[K");
        assert_eq!(clear_screen(), "\u{1b}[2J\u{1b}[1;1H");
        // Compose's cyan prefix, SGR 36, is palette colour 6 (crossterm writes the palette
        // form, which terminals show in the same colour).
        assert_eq!(paint("web-1", 36), "\u{1b}[38;5;6mweb-1\u{1b}[39m");
        assert_eq!(color(93), Color::Yellow);
    }
}
