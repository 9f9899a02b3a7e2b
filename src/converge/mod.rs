//! Convergence: compare the project with what the engine runs ([`plan`], pure) and make them
//! equal ([`apply`], async, through the engine module).

pub mod apply;
pub mod down;
pub mod plan;
