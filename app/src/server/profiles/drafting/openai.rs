//! A drafter backed by an OpenAI-compatible chat-completions API: a hosted service, or a local
//! llama.cpp, Ollama or vLLM server. Only the professional facts are sent.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::{DraftError, DraftFuture, SummaryDrafter};
use crate::model::profile::draft::{clean_answer, ProfessionalFacts};

/// An answer larger than this is refused (a chat completion of a short summary is a few KiB).
pub const MAX_ANSWER_BYTES: usize = 256 * 1024;

const INSTRUCTIONS: &str = "You write the profile summary a member of a coworking space shows \
in the members' directory. Write two or three short sentences of Markdown in the third person, \
using only the facts given in the JSON; never invent employers, numbers or achievements. \
Answer with the summary only: no heading, no preamble, no code fence.";

/// Where and how to reach the backend.
#[derive(Clone, PartialEq)]
pub struct OpenAiSettings {
    /// The API root, e.g. `https://api.openai.com/v1` or `http://127.0.0.1:11434/v1`.
    pub base_url: String,
    pub api_key: Option<String>,
    pub model: String,
    /// For the whole exchange: connecting, waiting and reading the answer.
    pub timeout: Duration,
}

impl std::fmt::Debug for OpenAiSettings {
    // Never prints the API key.
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("OpenAiSettings")
            .field("base_url", &self.base_url)
            .field("api_key", &self.api_key.as_ref().map(|_| "(set)"))
            .field("model", &self.model)
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// The completion's token budget. A reasoning model spends part of it thinking before it
/// writes, so it is well above the ~150 tokens of a summary; the answer's size is capped
/// separately (`MAX_ANSWER_BYTES`).
const MAX_COMPLETION_TOKENS: u32 = 2000;

#[derive(Debug)]
pub struct OpenAiDrafter {
    client: reqwest::Client,
    endpoint: String,
    settings: OpenAiSettings,
}

impl OpenAiDrafter {
    pub fn new(settings: OpenAiSettings) -> Result<Self, reqwest::Error> {
        let client = reqwest::Client::builder()
            .timeout(settings.timeout)
            .connect_timeout(settings.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        Ok(OpenAiDrafter {
            client,
            endpoint: format!(
                "{}/chat/completions",
                settings.base_url.trim_end_matches('/')
            ),
            settings,
        })
    }

    async fn ask(&self, facts: &ProfessionalFacts) -> Result<String, DraftError> {
        let facts_json = serde_json::to_string_pretty(facts)
            .map_err(|error| DraftError::Malformed(error.to_string()))?;
        let request = ChatRequest {
            model: &self.settings.model,
            messages: [
                Message {
                    role: "system",
                    content: INSTRUCTIONS,
                },
                Message {
                    role: "user",
                    content: &facts_json,
                },
            ],
            max_completion_tokens: MAX_COMPLETION_TOKENS,
            stream: false,
        };
        let mut call = self.client.post(&self.endpoint).json(&request);
        if let Some(key) = &self.settings.api_key {
            call = call.bearer_auth(key);
        }
        let mut response = call.send().await.map_err(|error| self.failure(error))?;
        if !response.status().is_success() {
            return Err(DraftError::Status(response.status().as_u16()));
        }
        if response
            .content_length()
            .is_some_and(|length| length > MAX_ANSWER_BYTES as u64)
        {
            return Err(too_large());
        }
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|error| self.failure(error))?
        {
            if body.len() + chunk.len() > MAX_ANSWER_BYTES {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        let completion: ChatCompletion = serde_json::from_slice(&body)
            .map_err(|error| DraftError::Malformed(format!("not a chat completion: {error}")))?;
        let content = completion
            .choices
            .into_iter()
            .next()
            .and_then(|choice| choice.message.content)
            .ok_or_else(|| DraftError::Malformed("no message in the first choice".to_owned()))?;
        clean_answer(&content)
            .ok_or_else(|| DraftError::Malformed("the message is empty".to_owned()))
    }

    fn failure(&self, error: reqwest::Error) -> DraftError {
        if error.is_timeout() {
            DraftError::Timeout(self.settings.timeout.as_secs().max(1))
        } else {
            DraftError::Unreachable(error.to_string())
        }
    }
}

fn too_large() -> DraftError {
    DraftError::Malformed(format!(
        "the answer is larger than {MAX_ANSWER_BYTES} bytes"
    ))
}

impl SummaryDrafter for OpenAiDrafter {
    fn uses_language_model(&self) -> bool {
        true
    }

    fn draft<'a>(&'a self, facts: &'a ProfessionalFacts) -> DraftFuture<'a> {
        Box::pin(self.ask(facts))
    }
}

#[derive(Serialize)]
struct ChatRequest<'a> {
    model: &'a str,
    messages: [Message<'a>; 2],
    /// Not `max_tokens`, which OpenAI's reasoning models refuse (and its other models take as a
    /// deprecated alias); local servers (Ollama, llama.cpp, vLLM) take it or ignore it. No
    /// `temperature` either: those models accept only their default, and every server has a
    /// sensible one.
    max_completion_tokens: u32,
    stream: bool,
}

#[derive(Serialize)]
struct Message<'a> {
    role: &'a str,
    content: &'a str,
}

#[derive(Deserialize)]
struct ChatCompletion {
    choices: Vec<Choice>,
}

#[derive(Deserialize)]
struct Choice {
    message: AnswerMessage,
}

#[derive(Deserialize)]
struct AnswerMessage {
    content: Option<String>,
}
