//! The error a server function returns to a page, with and without JavaScript (without it,
//! Leptos carries it back in the redirect URL so the re-rendered form can show it).

use std::collections::BTreeMap;

use leptos::server_fn::{
    codec::JsonEncoding,
    error::{FromServerFnError, ServerFnErrorErr},
    Bytes,
};
use serde::{Deserialize, Serialize};

use crate::model::field_error::FieldError;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, thiserror::Error)]
pub enum PortalError {
    /// The request was refused: `message` says why, `errors` name fields, `values` are the
    /// non-secret inputs to put back into the form.
    #[error("{message}")]
    Rejected {
        message: String,
        errors: Vec<FieldError>,
        values: BTreeMap<String, String>,
    },
    /// Transport or framework failure, as its message (not the framework's own error type,
    /// whose (de)serialisers would weigh on the browser bundle for no use).
    #[error("{0}")]
    ServerFn(String),
}

impl FromServerFnError for PortalError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        // On the server, a request whose arguments cannot be read is the client's mistake: a
        // 400, not the 500 server functions answer by default.
        #[cfg(feature = "ssr")]
        if matches!(
            value,
            ServerFnErrorErr::Args(_)
                | ServerFnErrorErr::MissingArg(_)
                | ServerFnErrorErr::Deserialization(_)
                | ServerFnErrorErr::UnsupportedRequestMethod(_)
        ) {
            if let Some(response) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
                response.set_status(http::StatusCode::BAD_REQUEST);
            }
        }
        PortalError::ServerFn(value.to_string())
    }

    /// Parsed from text, as the islands' props are, so that the browser bundle holds one JSON
    /// parser for this type instead of two.
    fn de(data: Bytes) -> Self {
        std::str::from_utf8(&data)
            .ok()
            .and_then(|text| serde_json::from_str(text).ok())
            .unwrap_or_else(|| {
                PortalError::ServerFn("The server's answer could not be read.".to_owned())
            })
    }
}

impl PortalError {
    pub fn rejected(message: impl Into<String>) -> Self {
        PortalError::Rejected {
            message: message.into(),
            errors: Vec::new(),
            values: BTreeMap::new(),
        }
    }

    /// Puts a non-secret input back into the form after a failed submit.
    pub fn keeping(mut self, name: &str, value: &str) -> Self {
        if let PortalError::Rejected { values, .. } = &mut self {
            values.insert(name.to_owned(), value.to_owned());
        }
        self
    }

    pub fn message(&self) -> String {
        self.to_string()
    }

    /// The messages about the field with wire name `property`.
    pub fn field_messages(&self, property: &str) -> Vec<String> {
        match self {
            PortalError::Rejected { errors, .. } => errors
                .iter()
                .filter(|error| error.property_name == property)
                .map(|error| error.message.clone())
                .collect(),
            PortalError::ServerFn(_) => Vec::new(),
        }
    }

    pub fn kept_value(&self, name: &str) -> Option<String> {
        match self {
            PortalError::Rejected { values, .. } => values.get(name).cloned(),
            PortalError::ServerFn(_) => None,
        }
    }
}
