//! What samael does not read of a message: the eIDAS extensions (`eidas:SPType` in an SP's
//! metadata and requests, `eidas:RequestedAttributes` in a request), read by hand with quick-xml
//! from a document that was already verified (the signed subset of a request, or metadata an
//! operator registered). quick-xml resolves no DTD and refuses undeclared entities.

use quick_xml::events::{BytesStart, Event};
use quick_xml::name::{Namespace, ResolveResult};
use quick_xml::reader::NsReader;
use serde::{Deserialize, Serialize};

/// The eIDAS SAML extensions' namespace.
const EIDAS: &[u8] = b"http://eidas.europa.eu/saml-extensions";

/// One `eidas:RequestedAttribute`: its `Name` URI, whether the SP needs it, and the values it
/// gives (`isAgeOver`'s age).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct RequestedAttribute {
    pub(crate) name: String,
    pub(crate) required: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) values: Vec<String>,
}

/// What a document's eIDAS extensions say.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Extensions {
    pub(crate) sp_type: Option<String>,
    pub(crate) requested: Vec<RequestedAttribute>,
}

/// A document that is not well-formed XML.
#[derive(Debug, thiserror::Error)]
#[error("malformed XML: {0}")]
pub(crate) struct Malformed(String);

/// Reads the eIDAS extensions anywhere in `xml`.
pub(crate) fn read(xml: &str) -> Result<Extensions, Malformed> {
    let mut reader = NsReader::from_str(xml);
    let mut out = Extensions::default();
    // The element whose text is being read: SPType, or an AttributeValue of the last attribute.
    let mut reading: Option<&'static str> = None;
    let mut text = String::new();
    loop {
        let (ns, event) = reader.read_resolved_event().map_err(|e| Malformed(e.to_string()))?;
        let eidas = matches!(ns, ResolveResult::Bound(Namespace(n)) if n == EIDAS);
        match event {
            Event::Start(e) | Event::Empty(e) if eidas => match e.local_name().as_ref() {
                b"SPType" => (reading, text) = (Some("SPType"), String::new()),
                b"AttributeValue" => (reading, text) = (Some("AttributeValue"), String::new()),
                b"RequestedAttribute" => out.requested.push(requested(&e)?),
                _ => {}
            },
            Event::Text(t) if reading.is_some() => {
                text.push_str(&t.xml10_content().map_err(|e| Malformed(e.to_string()))?);
            }
            Event::End(e) if eidas => {
                let value = text.trim().to_owned();
                match (reading.take(), e.local_name().as_ref()) {
                    (Some("SPType"), b"SPType") => out.sp_type = Some(value),
                    (Some("AttributeValue"), b"AttributeValue") => {
                        if let Some(last) = out.requested.last_mut() {
                            last.values.push(value);
                        }
                    }
                    _ => {}
                }
            }
            Event::Eof => return Ok(out),
            _ => {}
        }
    }
}

fn requested(e: &BytesStart<'_>) -> Result<RequestedAttribute, Malformed> {
    let mut name = None;
    let mut required = false;
    for attribute in e.attributes() {
        let attribute = attribute.map_err(|e| Malformed(e.to_string()))?;
        let value =
            attribute.normalized_value(quick_xml::XmlVersion::Implicit1_0).map_err(|e| Malformed(e.to_string()))?;
        match attribute.key.as_ref() {
            b"Name" => name = Some(value.into_owned()),
            b"isRequired" => required = value == "true" || value == "1",
            _ => {}
        }
    }
    let name = name.ok_or_else(|| Malformed("eidas:RequestedAttribute without a Name".into()))?;
    Ok(RequestedAttribute { name, required, values: Vec::new() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sp_type_and_requested_attributes_with_values_are_read() {
        let xml = r#"<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"><samlp:Extensions>
            <eidas:SPType xmlns:eidas="http://eidas.europa.eu/saml-extensions">public</eidas:SPType>
            <eidas:RequestedAttributes xmlns:eidas="http://eidas.europa.eu/saml-extensions">
              <eidas:RequestedAttribute Name="http://eidas.europa.eu/attributes/naturalperson/PersonIdentifier" isRequired="true"/>
              <eidas:RequestedAttribute Name="http://www.stork.gov.eu/1.0/isAgeOver" isRequired="false"><eidas:AttributeValue>21</eidas:AttributeValue></eidas:RequestedAttribute>
            </eidas:RequestedAttributes></samlp:Extensions></samlp:AuthnRequest>"#;
        let read = read(xml).unwrap();
        assert_eq!(read.sp_type.as_deref(), Some("public"));
        assert_eq!(read.requested.len(), 2);
        assert!(read.requested[0].required);
        assert_eq!(read.requested[1].values, ["21"]);
    }

    #[test]
    fn an_element_of_another_namespace_is_not_read_as_eidas() {
        let xml = r#"<a xmlns:x="urn:other"><x:SPType>private</x:SPType></a>"#;
        assert_eq!(read(xml).unwrap().sp_type, None);
    }

    #[test]
    fn an_external_entity_is_refused() {
        let xml = r#"<!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]><a xmlns:eidas="http://eidas.europa.eu/saml-extensions"><eidas:SPType>&x;</eidas:SPType></a>"#;
        assert_eq!(read(xml).unwrap().sp_type.as_deref(), Some(""));
    }
}
