//! Convergence: compare the project with what the engine runs ([`plan`], pure) and make them
//! equal ([`apply`], async, through the engine crate), reporting to a [`report::Reporter`].

pub mod apply;
pub mod down;
pub mod history;
pub mod lock;
pub mod observe;
pub mod plan;
pub mod report;
pub mod rollback;
pub mod verbs;
