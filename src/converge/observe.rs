//! The project's containers as the engine reports them, read into what the plan compares.

use berth_engine::labels as L;
use berth_engine::{Engine, EngineError};

use super::plan::Observed;

/// Reads the project's containers from the engine.
pub async fn observe(engine: &Engine, project: &str) -> Result<Vec<Observed>, EngineError> {
    let list = engine
        .list_containers(&[L::project_filter(project)])
        .await?;
    Ok(list.iter().map(Observed::from_summary).collect())
}
