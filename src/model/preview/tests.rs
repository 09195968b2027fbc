use std::time::SystemTime;

use super::*;

fn text(s: &str) -> Payload {
    Payload {
        at: SystemTime::UNIX_EPOCH,
        data: PayloadData::Text(s.into()),
    }
}

fn raw(s: &str) -> Parsed {
    parse(&text(s), ProtocolKind::Raw)
}

fn shown(rows: &[&str], kind: ProtocolKind, chosen: &[&str]) -> Vec<String> {
    let parsed: Vec<Parsed> = rows.iter().map(|r| parse(&text(r), kind)).collect();
    let common = common_fields(&parsed);
    let chosen: Vec<String> = chosen.iter().map(|s| s.to_string()).collect();
    parsed
        .iter()
        .map(|p| preview(p, &common, &chosen).text())
        .collect()
}

const NOTES: [&str; 2] = [
    r#"{"type":"notification","id":7,"user":"sandra","title":"Your export is ready"}"#,
    r#"{"type":"notification","id":8,"user":"sandra","title":"Deposit received","data":{"level":"warn"}}"#,
];

#[test]
fn what_differs_comes_first_and_what_is_common_last() {
    assert_eq!(
        shown(&NOTES, ProtocolKind::Raw, &[]),
        [
            r#"id=7 title="Your export is ready" type="notification" user="sandra""#,
            r#"id=8 title="Deposit received" data.level="warn" type="notification" user="sandra""#,
        ]
    );
}

#[test]
fn one_message_alone_keeps_its_order() {
    assert_eq!(
        shown(&NOTES[..1], ProtocolKind::Raw, &[]),
        [r#"type="notification" id=7 user="sandra" title="Your export is ready""#]
    );
}

#[test]
fn chosen_fields_by_dotted_path_in_their_order() {
    assert_eq!(
        shown(&NOTES, ProtocolKind::Raw, &["data.level", "title"]),
        [
            r#"title="Your export is ready""#,
            r#"data.level="warn" title="Deposit received""#,
        ]
    );
    // A path names the fields under it; none present: automatic.
    assert_eq!(
        shown(&NOTES[1..], ProtocolKind::Raw, &["data"]),
        [r#"data.level="warn""#]
    );
    assert_eq!(
        shown(&NOTES[..1], ProtocolKind::Raw, &["nope"]),
        [r#"type="notification" id=7 user="sandra" title="Your export is ready""#]
    );
}

#[test]
fn protocol_event_names_come_first() {
    let sio = [
        r#"42["notification",{"id":1,"title":"Hello"}]"#,
        r#"42["notification",{"id":2,"title":"World"}]"#,
    ];
    assert_eq!(
        shown(&sio, ProtocolKind::SocketIo, &[]),
        [
            r#"notification id=1 title="Hello""#,
            r#"notification id=2 title="World""#
        ]
    );
    let gql =
        [r#"{"id":"1","type":"next","payload":{"data":{"notificationAdded":{"title":"Hi"}}}}"#];
    assert_eq!(
        shown(&gql, ProtocolKind::GraphqlTransportWs, &[]),
        [r#"notificationAdded title="Hi""#]
    );
    let cable =
        [r#"{"identifier":"{\"channel\":\"NotificationsChannel\"}","message":{"title":"Hi"}}"#];
    assert_eq!(
        shown(&cable, ProtocolKind::ActionCable, &[]),
        [r#"NotificationsChannel title="Hi""#]
    );
}

#[test]
fn text_binary_and_other_json_are_shown_as_they_are() {
    assert_eq!(
        shown(&["plain words"], ProtocolKind::Raw, &[]),
        ["plain words"]
    );
    assert_eq!(shown(&["[1,2]"], ProtocolKind::Raw, &[]), ["[1,2]"]);
    let bin = Payload {
        at: SystemTime::UNIX_EPOCH,
        data: PayloadData::Binary(vec![0xde, 0xad].into()),
    };
    let parsed = parse(&bin, ProtocolKind::Raw);
    assert_eq!(preview(&parsed, &HashSet::new(), &[]).text(), "bin de ad");
}

#[test]
fn untrusted_text_is_made_visible() {
    // Keys, values and plain text: no control or bidi character survives.
    let rows = [
        "hi\u{1b}[2J\u{202e}there",
        "{\"k\u{1b}\":\"v\u{202e}\u{9b}\"}",
    ];
    for line in shown(&rows, ProtocolKind::Raw, &[]) {
        assert!(!line.chars().any(crate::text_safe::is_unsafe), "{line:?}");
    }
    assert_eq!(
        shown(&rows[..1], ProtocolKind::Raw, &[]),
        ["hi␛[2J<U+202E>there"]
    );
}

#[test]
fn fit_cuts_with_an_ellipsis() {
    let p = preview(&raw(NOTES[0]), &HashSet::new(), &[]);
    assert_eq!(p.clone().fit(200).text(), p.text());
    let cut = p.fit(12).text();
    assert_eq!(cut, "type=\"notif…");
    assert_eq!(cut.chars().count(), 12);
    let p = preview(&raw(NOTES[0]), &HashSet::new(), &[]);
    assert_eq!(p.fit(0).text(), "");
}

#[test]
fn big_messages_are_not_parsed() {
    let big = format!("{{\"a\":\"{}\"}}", "x".repeat(PARSE_LIMIT));
    match raw(&big) {
        Parsed::Text { text, .. } => assert!(text.ends_with('…') && text.len() < 1000),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_field_some_messages_lack_is_still_common() {
    let rows = [
        r#"{"type":"n","id":1,"user":"sandra","title":"A"}"#,
        r#"{"type":"n","id":2,"user":"sandra","title":"B","amount":3}"#,
        r#"{"type":"n","id":3}"#,
    ];
    assert_eq!(
        shown(&rows, ProtocolKind::Raw, &[]),
        [
            r#"id=1 title="A" type="n" user="sandra""#,
            r#"id=2 title="B" amount=3 type="n" user="sandra""#,
            r#"id=3 type="n""#,
        ]
    );
}

/// Rows the filter `invoice` kept: `type` is the same in all of them
/// because of the filter, and stays where the message has it, undimmed.
#[test]
fn a_field_the_filter_matches_stays_in_its_place() {
    let rows = [
        r#"{"type":"invoice","id":1,"user":"sandra","title":"A"}"#,
        r#"{"type":"invoice","id":2,"user":"sandra","title":"B"}"#,
    ];
    let parsed: Vec<Parsed> = rows.iter().map(|r| raw(r)).collect();
    let shown = |filter: &str| -> Vec<String> {
        let common = common_fields_except(&parsed, |t| t.contains(filter));
        parsed
            .iter()
            .map(|p| preview(p, &common, &[]).text())
            .collect()
    };
    // On the value, the path, the field as shown, the field as sent.
    for filter in [
        "invoice",
        "type",
        r#"type="invoice""#,
        r#""type":"invoice""#,
    ] {
        assert_eq!(
            shown(filter),
            [
                r#"type="invoice" id=1 title="A" user="sandra""#,
                r#"type="invoice" id=2 title="B" user="sandra""#,
            ],
            "{filter}"
        );
        let common = common_fields_except(&parsed, |t| t.contains(filter));
        assert!(!common.contains("type") && common.contains("user"));
        let first = preview(&parsed[0], &common, &[]);
        assert_eq!(first.parts[0].kind, PartKind::Key, "{filter}");
    }
    // A filter on nothing the rows share: what is common goes last.
    assert_eq!(
        shown("title"),
        [
            r#"id=1 title="A" type="invoice" user="sandra""#,
            r#"id=2 title="B" type="invoice" user="sandra""#,
        ]
    );
}

/// A nested field is matched by its dotted path or as the message has it
/// (`"level":"warn"`).
#[test]
fn a_nested_field_the_filter_matches_stays_too() {
    let rows = [
        r#"{"id":1,"data":{"level":"warn"}}"#,
        r#"{"id":2,"data":{"level":"warn"}}"#,
    ];
    let parsed: Vec<Parsed> = rows.iter().map(|r| raw(r)).collect();
    for filter in ["data.level", r#""level":"warn""#] {
        let common = common_fields_except(&parsed, |t| t.contains(filter));
        assert!(common.is_empty(), "{filter}: {common:?}");
    }
    let common = common_fields_except(&parsed, |t| t.contains("id"));
    assert!(common.contains("data.level"), "{common:?}");
}
