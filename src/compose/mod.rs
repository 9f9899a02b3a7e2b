//! The Compose loader: files in, one typed [`model::Project`] out.

pub mod dotenv;
pub mod interpolate;
pub mod model;
pub mod render;
pub mod schema;
pub mod syntax;
pub mod yaml;
