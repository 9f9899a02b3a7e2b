//! The Compose loader: files in, one typed [`model::Project`] out.

#![warn(clippy::print_stdout, clippy::print_stderr)]

pub mod build_context;
pub mod dotenv;
pub mod error;
pub mod graph;
pub mod hash;
pub mod image;
pub mod interpolate;
pub mod load;
pub mod model;
pub mod options;
pub mod paths;
pub mod provenance;
pub mod render;
pub mod schema;
pub mod suggest;
pub mod syntax;
pub mod yaml;
