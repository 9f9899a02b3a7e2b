//! What the containers wrote before now: each one's log read to its end, the lines merged
//! in timestamp order, and where following takes each one up.

use std::collections::HashMap;
use std::sync::Arc;

use futures_util::StreamExt;

use berth_engine::clock::format_unix;
use berth_engine::io::LogRequest;
use berth_engine::{Engine, EngineError};

use super::follow::Mark;
use super::line::{Assembler, Line};
use super::{shift, Options, Source};

/// Reads a container's log (not following) into lines.
async fn history(
    engine: &Engine,
    src: &Source,
    req: &LogRequest,
    seq: &mut u64,
) -> Result<Vec<Line>, EngineError> {
    let mut s = engine.logs(&src.id, req);
    let mut asm = Assembler::default();
    let mut out = Vec::new();
    let name: Arc<str> = src.name.as_str().into();
    let service: Arc<str> = src.service.as_str().into();
    let mut push = |(ts, bytes): (String, Vec<u8>), out: &mut Vec<Line>| {
        *seq += 1;
        out.push(Line {
            ts,
            seq: *seq,
            name: name.clone(),
            service: service.clone(),
            bytes,
            note: false,
        });
    };
    while let Some(c) = s.next().await {
        match c {
            Ok(c) => {
                for l in asm.push(c.bytes()) {
                    push(l, &mut out);
                }
            }
            Err(e) if e.is_not_found() => break,
            Err(e) => return Err(e),
        }
    }
    if let Some(l) = asm.finish() {
        push(l, &mut out);
    }
    Ok(out)
}

/// The past of `sources` as one list in timestamp order, and for each container the mark
/// following takes it up from.
pub(super) async fn read(
    engine: &Engine,
    sources: &[Source],
    opts: &Options,
) -> Result<(Vec<Line>, HashMap<String, Mark>, u64), EngineError> {
    // Where following takes up a container whose past showed no line: the lower bound asked
    // for (a line logged since the past was read is new), or, with `--tail 0`, the engine's
    // now (its clock: a drifting one must not hide or repeat lines).
    let follow_from: Option<String> = if opts.follow && opts.tail.trim() == "0" {
        let offset = engine.clock_offset().await;
        Some(engine.log_moment(shift(std::time::SystemTime::now(), offset)))
    } else if let Some(from) = &opts.from_ts {
        Some(from.clone())
    } else {
        (opts.since > 0).then(|| format_unix(opts.since as i64, 0))
    };
    let req = LogRequest {
        follow: false,
        timestamps: true,
        since: opts.since,
        until: opts.until,
        tail: if opts.tail.is_empty() {
            "all".into()
        } else {
            opts.tail.clone()
        },
    };
    let jobs = sources.iter().map(|s| {
        let req = req.clone();
        async move {
            let mut local = 0u64;
            history(engine, s, &req, &mut local).await
        }
    });
    let results = futures_util::future::join_all(jobs).await;
    let mut seq = 0u64;
    let mut all: Vec<Line> = Vec::new();
    let mut last: HashMap<String, Mark> = HashMap::new();
    for (s, r) in sources.iter().zip(results) {
        let mut lines = r?;
        for l in lines.iter_mut() {
            seq += 1;
            l.seq = seq;
        }
        let mut mark = follow_from.clone().map(|ts| Mark { ts, at_ts: 0 });
        for l in &lines {
            match mark.as_mut() {
                Some(m) => m.saw(&l.ts),
                None => {
                    mark = Some(Mark {
                        ts: l.ts.clone(),
                        at_ts: 1,
                    })
                }
            }
        }
        if let Some(mark) = mark {
            last.insert(s.id.clone(), mark);
        }
        all.extend(lines);
    }
    // Each container's lines are in order; a stable sort by timestamp merges them.
    all.sort_by(|a, b| a.ts.cmp(&b.ts));
    if let Some(from) = &opts.from_ts {
        // `since` is whole seconds: drop what came before the exact moment.
        all.retain(|l| l.ts.as_str() >= from.as_str());
    }
    Ok((all, last, seq))
}
