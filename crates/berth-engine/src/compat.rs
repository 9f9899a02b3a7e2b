//! Request rewrites for older engines, where bollard's (API 1.53) models lack a field the
//! engine still needs.
//!
//! Before API 1.44 an endpoint's `MacAddress` is ignored at create: the engine takes one
//! container-wide `MacAddress` in the container config, a field the 1.53 models no longer
//! have. berth puts the MAC on the primary network's endpoint (as for newer engines), and for
//! older engines this copies it to the container config of the create request, as Compose v2
//! does for them.

use bollard::BollardRequest;
use futures_util::FutureExt;
use http_body_util::{BodyExt, Either};

/// Moves the primary endpoint's MAC address of a `POST /containers/create` to `MacAddress`.
pub fn container_wide_mac_address(req: BollardRequest) -> BollardRequest {
    if req.method() != "POST" || !req.uri().path().ends_with("/containers/create") {
        return req;
    }
    let (parts, body) = req.into_parts();
    let Either::Left(full) = body else {
        return BollardRequest::from_parts(parts, body);
    };
    // A full body is ready at once: no waiting.
    let bytes = match full.collect().now_or_never() {
        Some(Ok(collected)) => collected.to_bytes(),
        _ => return BollardRequest::from_parts(parts, bollard::body_full(Default::default())),
    };
    let rewritten = with_mac(&bytes).unwrap_or_else(|| bytes.to_vec());
    BollardRequest::from_parts(parts, bollard::body_full(rewritten.into()))
}

/// The body with `MacAddress` set from the primary endpoint, or `None` when there is nothing to do.
fn with_mac(body: &[u8]) -> Option<Vec<u8>> {
    let mut v: serde_json::Value = serde_json::from_slice(body).ok()?;
    let network = v.pointer("/HostConfig/NetworkMode")?.as_str()?.to_string();
    let mac = v
        .pointer("/NetworkingConfig/EndpointsConfig")?
        .get(&network)?
        .get("MacAddress")?
        .as_str()?
        .to_string();
    let obj = v.as_object_mut()?;
    if obj.get("MacAddress").and_then(|m| m.as_str()).is_some() {
        return None;
    }
    obj.insert("MacAddress".into(), serde_json::Value::String(mac));
    serde_json::to_vec(&v).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_primary_endpoint_mac_becomes_container_wide() {
        let body = br#"{"Image":"i","HostConfig":{"NetworkMode":"p_front"},"NetworkingConfig":{"EndpointsConfig":{"p_front":{"MacAddress":"02:42:ac:11:00:02"}}}}"#;
        let out = with_mac(body).expect("rewritten");
        let v: serde_json::Value = serde_json::from_slice(&out).expect("json");
        assert_eq!(v["MacAddress"], "02:42:ac:11:00:02");
        assert!(with_mac(br#"{"Image":"i","HostConfig":{"NetworkMode":"host"}}"#).is_none());
    }
}
