//! The shared session table as one more upstream of the model: an in-memory DynamoDB answering
//! the four operations the function makes (GetItem, BatchGetItem, PutItem, UpdateItem) in
//! DynamoDB's JSON protocol, for the SDK's test HTTP client. It evaluates the condition and
//! update expressions the function writes (`attribute_not_exists`, `=`, `<`, `<=`, `AND`, `OR`,
//! parentheses; `SET` with `if_not_exists`, `REMOVE`), answers `ConditionalCheckFailedException`
//! with the old item when asked to, and meters each call in request units as DynamoDB bills them
//! (item sizes from attribute names and values; eventually consistent reads half a unit per 4 KB,
//! strongly consistent ones a unit; writes a unit per KB of the larger of the item before and
//! after, failed conditional writes included). `CAPACITY_VALIDATE` holds its call counts equal to
//! moto's DynamoDB on the same workload.

use serde_json::{Map, Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// One item: attribute name -> DynamoDB JSON value (`{"S": ..}`, `{"N": ..}`, `{"B": ..}`).
type Item = Map<String, Value>;

/// Request units consumed so far.
#[derive(Debug, Clone, Copy, Default)]
pub struct Units {
    pub read: f64,
    pub write: f64,
}

/// The table, shared by every `App` of a run.
#[derive(Clone, Default)]
pub struct FakeTable {
    items: Arc<Mutex<HashMap<(String, String), Item>>>,
    units: Arc<Mutex<Units>>,
}

impl FakeTable {
    pub fn units(&self) -> Units {
        *self.units.lock().expect("units")
    }

    /// Answers one DynamoDB call: (status, body).
    pub fn answer(&self, operation: &str, body: &Value) -> (u16, Value) {
        match operation {
            "GetItem" => {
                let consistent = body["ConsistentRead"].as_bool().unwrap_or(false);
                let item = self.get(&body["Key"]);
                self.read(item.as_ref(), consistent);
                (200, item.map_or(json!({}), |i| json!({ "Item": i })))
            }
            "BatchGetItem" => {
                let mut responses = Map::new();
                for (table, request) in body["RequestItems"].as_object().into_iter().flatten() {
                    let consistent = request["ConsistentRead"].as_bool().unwrap_or(false);
                    let mut found = Vec::new();
                    for key in request["Keys"].as_array().into_iter().flatten() {
                        let item = self.get(key);
                        self.read(item.as_ref(), consistent);
                        found.extend(item.map(Value::Object));
                    }
                    responses.insert(table.clone(), Value::Array(found));
                }
                (
                    200,
                    json!({ "Responses": responses, "UnprocessedKeys": {} }),
                )
            }
            "PutItem" => {
                let item = body["Item"].as_object().cloned().unwrap_or_default();
                let key = key_of(&item);
                let mut items = self.items.lock().expect("items");
                let before = items.get(&key).map_or(0, size);
                self.write(before.max(size(&item)));
                items.insert(key, item);
                (200, json!({}))
            }
            "UpdateItem" => self.update(body),
            other => (
                400,
                json!({"__type": "com.amazonaws.dynamodb.v20120810#ValidationException", "message": other}),
            ),
        }
    }

    fn get(&self, key: &Value) -> Option<Item> {
        let key = key_of(key.as_object()?);
        self.items.lock().expect("items").get(&key).cloned()
    }

    fn read(&self, item: Option<&Item>, consistent: bool) {
        let blocks = item.map_or(1, |i| size(i).div_ceil(4096).max(1)) as f64;
        self.units.lock().expect("units").read += if consistent { blocks } else { blocks / 2.0 };
    }

    fn write(&self, bytes: usize) {
        self.units.lock().expect("units").write += bytes.div_ceil(1024).max(1) as f64;
    }

    fn update(&self, body: &Value) -> (u16, Value) {
        let empty = Map::new();
        let names = body["ExpressionAttributeNames"]
            .as_object()
            .unwrap_or(&empty);
        let values = body["ExpressionAttributeValues"]
            .as_object()
            .unwrap_or(&empty);
        let key_item = body["Key"].as_object().cloned().unwrap_or_default();
        let key = key_of(&key_item);
        let mut items = self.items.lock().expect("items");
        let old = items.get(&key).cloned();
        let current = old.clone().unwrap_or_else(|| key_item.clone());
        if let Some(condition) = body["ConditionExpression"].as_str() {
            let holds = Condition::new(condition, names, values).eval(old.as_ref());
            if !holds {
                self.write(old.as_ref().map_or(0, size));
                let mut error = json!({
                    "__type": "com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException",
                    "message": "The conditional request failed",
                });
                if body["ReturnValuesOnConditionCheckFailure"] == "ALL_OLD"
                    && let Some(old) = &old
                {
                    error["Item"] = Value::Object(old.clone());
                }
                return (400, error);
            }
        }
        let mut new = current.clone();
        apply_update(
            body["UpdateExpression"].as_str().unwrap_or_default(),
            names,
            values,
            &mut new,
        );
        self.write(old.as_ref().map_or(0, size).max(size(&new)));
        items.insert(key, new.clone());
        let answer = match body["ReturnValues"].as_str() {
            Some("ALL_NEW") => json!({ "Attributes": new }),
            Some("ALL_OLD") => json!({ "Attributes": old }),
            _ => json!({}),
        };
        (200, answer)
    }
}

fn key_of(item: &Item) -> (String, String) {
    let s = |name: &str| item[name]["S"].as_str().unwrap_or_default().to_owned();
    (s("pk"), s("sk"))
}

/// DynamoDB's item size: each attribute's name plus its value (strings and numbers as text,
/// binaries decoded).
fn size(item: &Item) -> usize {
    item.iter()
        .map(|(name, value)| {
            name.len()
                + match value {
                    Value::Object(v) => v
                        .iter()
                        .map(|(kind, raw)| match (kind.as_str(), raw.as_str()) {
                            ("B", Some(b64)) => b64.len() * 3 / 4,
                            (_, Some(text)) => text.len(),
                            _ => 1,
                        })
                        .sum(),
                    _ => 1,
                }
        })
        .sum()
}

/// `SET a = :v, b = if_not_exists(c, :w) REMOVE d, e` on `item`.
fn apply_update(expression: &str, names: &Item, values: &Item, item: &mut Item) {
    let name = |token: &str| {
        names
            .get(token)
            .and_then(Value::as_str)
            .unwrap_or(token)
            .to_owned()
    };
    let mut section = String::new();
    for part in split_sections(expression) {
        match part.as_str() {
            keyword @ ("SET" | "REMOVE" | "ADD") => section = keyword.to_owned(),
            clause => match section.as_str() {
                "SET" => {
                    let (target, value) = clause.split_once('=').expect("a SET clause");
                    let target = name(target.trim());
                    let value = value.trim();
                    let new = if let Some(inner) = value
                        .strip_prefix("if_not_exists(")
                        .and_then(|v| v.strip_suffix(')'))
                    {
                        let (existing, default) = inner.split_once(',').expect("two arguments");
                        item.get(&name(existing.trim()))
                            .cloned()
                            .unwrap_or_else(|| values[default.trim()].clone())
                    } else {
                        values[value].clone()
                    };
                    item.insert(target, new);
                }
                "REMOVE" => {
                    item.remove(&name(clause.trim()));
                }
                "ADD" => {
                    let (target, value) = clause.trim().split_once(' ').expect("an ADD clause");
                    let target = name(target);
                    let add: f64 = values[value.trim()]["N"]
                        .as_str()
                        .unwrap_or("0")
                        .parse()
                        .unwrap_or(0.0);
                    let now: f64 = item
                        .get(&target)
                        .and_then(|v| v["N"].as_str())
                        .and_then(|n| n.parse().ok())
                        .unwrap_or(0.0);
                    item.insert(target, json!({ "N": format!("{}", now + add) }));
                }
                _ => {}
            },
        }
    }
}

/// The section keywords and the comma-separated clauses between them, in order.
fn split_sections(expression: &str) -> Vec<String> {
    let bytes = expression.as_bytes();
    let (mut parts, mut current, mut depth, mut i) = (Vec::new(), String::new(), 0, 0);
    let flush = |current: &mut String, parts: &mut Vec<String>| {
        if !current.trim().is_empty() {
            parts.push(current.trim().to_owned());
        }
        current.clear();
    };
    'scan: while i < bytes.len() {
        let at_word = i == 0 || bytes[i - 1].is_ascii_whitespace();
        if depth == 0 && at_word {
            for keyword in ["SET", "REMOVE", "ADD"] {
                let end = i + keyword.len();
                if expression[i..].starts_with(keyword)
                    && bytes.get(end).is_none_or(u8::is_ascii_whitespace)
                {
                    flush(&mut current, &mut parts);
                    parts.push(keyword.to_owned());
                    i = end;
                    continue 'scan;
                }
            }
        }
        match bytes[i] {
            b'(' => depth += 1,
            b')' => depth -= 1,
            b',' if depth == 0 => {
                flush(&mut current, &mut parts);
                i += 1;
                continue;
            }
            _ => {}
        }
        current.push(bytes[i] as char);
        i += 1;
    }
    flush(&mut current, &mut parts);
    parts
}

/// A condition expression, parsed on demand (recursive descent over its tokens).
struct Condition<'a> {
    tokens: Vec<String>,
    at: usize,
    names: &'a Item,
    values: &'a Item,
}

impl<'a> Condition<'a> {
    fn new(text: &str, names: &'a Item, values: &'a Item) -> Self {
        let spaced = text.replace('(', " ( ").replace(')', " ) ");
        Condition {
            tokens: spaced.split_whitespace().map(str::to_owned).collect(),
            at: 0,
            names,
            values,
        }
    }

    fn eval(mut self, item: Option<&Item>) -> bool {
        let empty = Map::new();
        self.or(item.unwrap_or(&empty))
    }

    fn next(&mut self) -> String {
        self.at += 1;
        self.tokens.get(self.at - 1).cloned().unwrap_or_default()
    }

    fn peek(&self) -> &str {
        self.tokens.get(self.at).map_or("", String::as_str)
    }

    fn or(&mut self, item: &Item) -> bool {
        let mut holds = self.and(item);
        while self.peek() == "OR" {
            self.next();
            holds |= self.and(item);
        }
        holds
    }

    fn and(&mut self, item: &Item) -> bool {
        let mut holds = self.factor(item);
        while self.peek() == "AND" {
            self.next();
            holds &= self.factor(item);
        }
        holds
    }

    fn factor(&mut self, item: &Item) -> bool {
        let first = self.next();
        if first == "(" {
            let holds = self.or(item);
            self.next(); // ")"
            return holds;
        }
        if first == "attribute_not_exists" || first == "attribute_exists" {
            self.next(); // "("
            let token = self.next();
            let name = self.name(&token);
            self.next(); // ")"
            return (first == "attribute_exists") == item.contains_key(&name);
        }
        let operator = self.next();
        let right = self.next();
        let left = item.get(&self.name(&first));
        let right = self.values.get(&right);
        let (Some(left), Some(right)) = (left, right) else {
            return false;
        };
        let ordering = match (left.get("N"), right.get("N")) {
            (Some(l), Some(r)) => {
                let parse = |v: &Value| v.as_str().and_then(|s| s.parse::<f64>().ok());
                parse(l).partial_cmp(&parse(r))
            }
            _ => left["S"].as_str().partial_cmp(&right["S"].as_str()),
        };
        match operator.as_str() {
            "=" => ordering == Some(std::cmp::Ordering::Equal),
            "<" => ordering == Some(std::cmp::Ordering::Less),
            "<=" => matches!(
                ordering,
                Some(std::cmp::Ordering::Less | std::cmp::Ordering::Equal)
            ),
            _ => false,
        }
    }

    fn name(&self, token: &str) -> String {
        self.names
            .get(token)
            .and_then(Value::as_str)
            .unwrap_or(token)
            .to_owned()
    }
}
