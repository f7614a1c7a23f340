//! CMS SignedData (RFC 5652 §5) as ICAO wraps it: in EF.SOD around the LDS security object
//! (Doc 9303 Part 10 §4.6.2) and in master lists around the CSCA certificates (Part 12 §9).
//! Read with the TLV reader, so that the signed attributes are verified over the bytes as
//! they were signed.

use time::OffsetDateTime;

use super::asn1::{self, oids, AlgorithmIdentifier, NameAttribute};
use super::cert::Certificate;
use super::{in_file, Element, LdsError, LdsRule};
use crate::tlv::{Reader, Tag, Tlv};

/// The signed content and everything needed to check its signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedData {
    pub version: u64,
    pub digest_algorithms: Vec<AlgorithmIdentifier>,
    /// The eContentType, dotted.
    pub content_type: String,
    /// The eContent's octets: what the message-digest attribute covers.
    pub content: Vec<u8>,
    /// Where the content's first byte is in the file.
    pub(crate) content_offset: usize,
    /// The certificates carried along (the document signer's, for EF.SOD).
    pub certificates: Vec<Certificate>,
    pub signer_infos: Vec<SignerInfo>,
}

/// How a SignerInfo names its signer's certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignerIdentifier {
    IssuerAndSerialNumber {
        issuer: Vec<NameAttribute>,
        issuer_der: Vec<u8>,
        /// The INTEGER's content, as stored.
        serial: Vec<u8>,
    },
    SubjectKeyIdentifier(Vec<u8>),
}

/// One signature over the content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignerInfo {
    pub version: u64,
    pub sid: SignerIdentifier,
    pub digest_algorithm: AlgorithmIdentifier,
    pub signed_attributes: Option<SignedAttributes>,
    pub signature_algorithm: AlgorithmIdentifier,
    pub signature: Vec<u8>,
}

/// The signed attributes ICAO requires, and the bytes the signature covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedAttributes {
    /// The attributes as signed: their encoding with the SET OF tag (`31`) in place of the
    /// `[0]` that marks them inside the SignerInfo (RFC 5652 §5.4).
    pub der: Vec<u8>,
    /// The content-type attribute, dotted.
    pub content_type: Option<String>,
    /// The message-digest attribute.
    pub message_digest: Option<Vec<u8>>,
    pub signing_time: Option<OffsetDateTime>,
}

const CONTENT: Element = Element::new(
    "the signed content (eContent)",
    "nội dung được ký (eContent)",
);
const SIGNER_INFO: Element = Element::new("a signer (SignerInfo)", "người ký (SignerInfo)");
const VERSION: Element = Element::new("the version", "phiên bản");
const ATTRIBUTE: Element = Element::new("a signed attribute", "một thuộc tính được ký");
const SIGNING_TIME: Element = Element::new("the signing time", "thời điểm ký");

impl SignedData {
    /// Reads a ContentInfo holding SignedData (`tlv` is its SEQUENCE), part of `file`.
    pub(crate) fn from_content_info(
        tlv: &Tlv<'_>,
        file: &'static str,
    ) -> Result<SignedData, LdsError> {
        let e = in_file(file);
        if tlv.tag != Tag::SEQUENCE {
            return Err(asn1::unexpected(file, tlv, Tag::SEQUENCE));
        }
        let mut ci = tlv.children();
        let content_type = asn1::oid(&ci.read().map_err(&e)?, file)?;
        if content_type != oids::SIGNED_DATA {
            return Err(LdsError::new(
                file,
                tlv.offset,
                LdsRule::NotSignedData { content_type },
            ));
        }
        let wrapper = ci.expect(Tag::context(0, true)).map_err(&e)?;
        let sd = wrapper.children().expect(Tag::SEQUENCE).map_err(&e)?;

        let mut r = sd.children();
        let version = asn1::uint(&r.read().map_err(&e)?, file, VERSION)?;
        let algs = r.expect(Tag::SET).map_err(&e)?;
        let digest_algorithms = asn1::children(&algs, file)?
            .iter()
            .map(|t| asn1::algorithm(t, file))
            .collect::<Result<Vec<_>, _>>()?;

        let encap = r.expect(Tag::SEQUENCE).map_err(&e)?;
        let mut er = encap.children();
        let content_type = asn1::oid(&er.read().map_err(&e)?, file)?;
        let Some(explicit) = er.optional(Tag::context(0, true)).map_err(&e)? else {
            return Err(LdsError::new(
                file,
                encap.end(),
                LdsRule::Missing { element: CONTENT },
            ));
        };
        let (content, content_offset) = octets(&explicit, file)?;

        let mut certificates = Vec::new();
        if let Some(certs) = r.optional(Tag::context(0, true)).map_err(&e)? {
            certificates = Certificate::read_all(&certs, file)?;
        }
        // CRLs are not used by the LDS.
        r.optional(Tag::context(1, true)).map_err(&e)?;
        let signers = r.expect(Tag::SET).map_err(&e)?;
        let signer_infos = asn1::children(&signers, file)?
            .iter()
            .map(|t| signer_info(t, file))
            .collect::<Result<Vec<_>, _>>()?;
        if signer_infos.is_empty() {
            return Err(LdsError::new(
                file,
                signers.offset,
                LdsRule::Missing {
                    element: SIGNER_INFO,
                },
            ));
        }
        Ok(SignedData {
            version,
            digest_algorithms,
            content_type,
            content,
            content_offset,
            certificates,
            signer_infos,
        })
    }

    /// The certificate of `signer` among those carried along.
    pub fn signer_certificate(&self, signer: &SignerInfo) -> Option<&Certificate> {
        self.certificates.iter().find(|c| match &signer.sid {
            SignerIdentifier::IssuerAndSerialNumber {
                issuer,
                issuer_der,
                serial,
            } => {
                strip_zeros(&c.serial) == strip_zeros(serial)
                    && (c.issuer_der() == issuer_der.as_slice()
                        || asn1::names_match(&c.issuer, issuer))
            }
            SignerIdentifier::SubjectKeyIdentifier(id) => c.subject_key_id.as_ref() == Some(id),
        })
    }
}

fn strip_zeros(b: &[u8]) -> &[u8] {
    match b.iter().position(|x| *x != 0) {
        Some(i) => b.get(i..).unwrap_or_default(),
        None => &[],
    }
}

/// The octets inside `[0] EXPLICIT OCTET STRING`, primitive or (BER) constructed from
/// primitive segments; and where they start in the file (the first segment's start).
fn octets(explicit: &Tlv<'_>, file: &'static str) -> Result<(Vec<u8>, usize), LdsError> {
    let e = in_file(file);
    let mut r = explicit.children();
    let first = r.read().map_err(&e)?;
    match first.tag {
        Tag::OCTET_STRING => Ok((first.value.to_vec(), first.value_offset())),
        Tag(0x24) => {
            let mut out = Vec::new();
            let mut start = None;
            for seg in first.children() {
                let seg = seg.map_err(&e)?;
                if seg.tag != Tag::OCTET_STRING {
                    return Err(asn1::unexpected(file, &seg, Tag::OCTET_STRING));
                }
                start.get_or_insert(seg.value_offset());
                out.extend_from_slice(seg.value);
            }
            Ok((out, start.unwrap_or(first.value_offset())))
        }
        _ => Err(asn1::unexpected(file, &first, Tag::OCTET_STRING)),
    }
}

fn signer_info(tlv: &Tlv<'_>, file: &'static str) -> Result<SignerInfo, LdsError> {
    let e = in_file(file);
    if tlv.tag != Tag::SEQUENCE {
        return Err(asn1::unexpected(file, tlv, Tag::SEQUENCE));
    }
    let mut r = tlv.children();
    let version = asn1::uint(&r.read().map_err(&e)?, file, VERSION)?;
    let sid_tlv = r.read().map_err(&e)?;
    let sid = match sid_tlv.tag {
        Tag::SEQUENCE => {
            let mut s = sid_tlv.children();
            let issuer_tlv = s.expect(Tag::SEQUENCE).map_err(&e)?;
            let issuer = asn1::name(&issuer_tlv, file)?;
            let serial = s.expect(Tag::INTEGER).map_err(&e)?.value.to_vec();
            SignerIdentifier::IssuerAndSerialNumber {
                issuer,
                issuer_der: issuer_tlv.raw.to_vec(),
                serial,
            }
        }
        Tag(0x80) => SignerIdentifier::SubjectKeyIdentifier(sid_tlv.value.to_vec()),
        _ => return Err(asn1::unexpected(file, &sid_tlv, Tag::SEQUENCE)),
    };
    let digest_algorithm = asn1::algorithm(&r.read().map_err(&e)?, file)?;
    let signed_attributes = match r.optional(Tag::context(0, true)).map_err(&e)? {
        Some(attrs) => Some(signed_attributes(&attrs, file)?),
        None => None,
    };
    let signature_algorithm = asn1::algorithm(&r.read().map_err(&e)?, file)?;
    let signature = r.expect(Tag::OCTET_STRING).map_err(&e)?.value.to_vec();
    Ok(SignerInfo {
        version,
        sid,
        digest_algorithm,
        signed_attributes,
        signature_algorithm,
        signature,
    })
}

fn signed_attributes(tlv: &Tlv<'_>, file: &'static str) -> Result<SignedAttributes, LdsError> {
    let e = in_file(file);
    let mut der = tlv.raw.to_vec();
    if let Some(first) = der.first_mut() {
        *first = 0x31;
    }
    let mut attrs = SignedAttributes {
        der,
        content_type: None,
        message_digest: None,
        signing_time: None,
    };
    let mut seen: Vec<String> = Vec::new();
    for item in tlv.children() {
        let attr = item.map_err(&e)?;
        if attr.tag != Tag::SEQUENCE {
            return Err(asn1::unexpected(file, &attr, Tag::SEQUENCE));
        }
        let mut a = attr.children();
        let id = asn1::oid(&a.read().map_err(&e)?, file)?;
        let values = a.expect(Tag::SET).map_err(&e)?;
        let bad = || LdsError::new(file, attr.offset, LdsRule::BadValue { element: ATTRIBUTE });
        let known = matches!(
            id.as_str(),
            oids::CONTENT_TYPE | oids::MESSAGE_DIGEST | oids::SIGNING_TIME
        );
        if !known {
            continue;
        }
        // RFC 5652 §11: these attributes appear once, with one value.
        if seen.contains(&id) {
            return Err(bad());
        }
        seen.push(id.clone());
        let mut vr = values.children();
        let value = vr.read().map_err(|_| bad())?;
        if !vr.is_empty() {
            return Err(bad());
        }
        match id.as_str() {
            oids::CONTENT_TYPE => attrs.content_type = Some(asn1::oid(&value, file)?),
            oids::MESSAGE_DIGEST => {
                if value.tag != Tag::OCTET_STRING {
                    return Err(asn1::unexpected(file, &value, Tag::OCTET_STRING));
                }
                attrs.message_digest = Some(value.value.to_vec());
            }
            _ => attrs.signing_time = Some(asn1::time(&value, file, SIGNING_TIME)?),
        }
    }
    Ok(attrs)
}

/// Reads a ContentInfo that is the whole of `bytes` (a master list file).
pub(crate) fn parse_content_info(bytes: &[u8], file: &'static str) -> Result<SignedData, LdsError> {
    let mut r = Reader::new(bytes);
    let tlv = r.expect(Tag::SEQUENCE).map_err(in_file(file))?;
    r.finish_allowing_padding().map_err(in_file(file))?;
    SignedData::from_content_info(&tlv, file)
}
