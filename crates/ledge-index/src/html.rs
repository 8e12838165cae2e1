//! HTML to text: the page's own words, without the site around them.
//!
//! Documentation generators wrap every page in the same navigation: Sphinx's sidebar and
//! previous/next bars, DocBook's navigation header and footer tables, MkDocs' and rustdoc's
//! sidebars, Javadoc's and Doxygen's tab bars and breadcrumbs, tables of contents. Kept as
//! text, those link lists hold the words of almost any question, and a manual's `index.html`
//! or release notes outranked the page that answers it. So the page is parsed once (html5ever,
//! through html2text's DOM), pruned, and only then rendered as Markdown-like text:
//!
//! * elements that are never content go whole: `nav`, scripts, styles, forms, `header` and
//!   `footer` outside an `article`/`main`, ARIA landmarks of navigation (`role="navigation"`,
//!   `banner`, `contentinfo`, `search`), and the classes and ids the generators give their
//!   navigation ([`BOILERPLATE_CLASSES`], [`BOILERPLATE_IDS`]);
//! * any other block that is mostly links is a link list (a table of contents, an index, a
//!   "see also" bar) and goes too: at least [`MIN_LINKS`] links making up
//!   [`LINK_DENSITY`] of its text, and, unless it is a list or a table, little text besides
//!   ([`MAX_PROSE_IN_LINK_BLOCK`]), so a paragraph with many references stays. Headings and
//!   code are never dropped for their links (rustdoc signatures are full of them).
//!
//! A page left with no text (an index that was all links) keeps its title as its text, so it
//! is still found by name but no longer outranks content. The title (`<title>`, else the first
//! `<h1>`) is returned beside the text for the index's title field.
//!
//! Links are rendered as their text without brackets. Nesting deeper than [`MAX_HTML_DEPTH`]
//! is not given to the converter (see there); such a page is stripped of its tags instead.

use std::collections::HashSet;
use std::rc::Rc;

use html2text::render::{TaggedLine, TextDecorator};
use html2text::{Element, Handle, RcDom};

/// A page's text and title.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HtmlText {
    /// The text, headings as `#` lines.
    pub text: String,
    /// The document's title, whitespace collapsed, at most [`crate::chunk::MAX_TITLE_BYTES`].
    pub title: Option<String>,
}

/// Nesting deeper than this is not given to the HTML converter: html2text's time grows faster
/// than the square of the depth (16,000 unclosed `<ul><li>`, 128 kB, took 17 s in a release
/// build; found by the mutation tests). Such a file is stripped of its tags instead.
const MAX_HTML_DEPTH: usize = 400;

/// Elements that never nest (void) or that the parser closes by itself when a sibling starts;
/// they do not count towards [`MAX_HTML_DEPTH`].
const FLAT_ELEMENTS: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
    "track", "wbr", "p", "li", "dt", "dd", "option", "optgroup", "tr", "td", "th", "tbody",
    "thead", "tfoot", "colgroup", "rt", "rp", "html", "head", "body",
];

/// Elements that are never a page's content.
const NEVER_CONTENT: &[&str] = &[
    "nav",
    "script",
    "style",
    "noscript",
    "template",
    "form",
    "button",
    "select",
    "input",
    "textarea",
    "iframe",
    "svg",
    "canvas",
    "object",
    "embed",
    "dialog",
    // rustdoc's bar for narrow screens (repeats the item name)
    "rustdoc-topbar",
];

/// ARIA roles of navigation landmarks.
const BOILERPLATE_ROLES: &[&str] = &[
    "navigation",
    "banner",
    "contentinfo",
    "search",
    "menu",
    "menubar",
    "toolbar",
];

/// Classes the generators give their navigation, by generator. Whole class tokens only.
const BOILERPLATE_CLASSES: &[&str] = &[
    // Sphinx (the Python manual and Read the Docs themes)
    "related",
    "sphinxsidebar",
    "sphinxsidebarwrapper",
    "headerlink",
    "mobile-nav",
    "menu-wrapper",
    "footer",
    "wy-nav-side",
    "wy-nav-top",
    "wy-breadcrumbs",
    "rst-versions",
    "rst-footer-buttons",
    "version_switcher_placeholder",
    "language_switcher_placeholder",
    // DocBook (PostgreSQL)
    "navheader",
    "navfooter",
    "toc",
    "indexdiv",
    // MkDocs (Material and the default theme), mdBook
    "md-header",
    "md-sidebar",
    "md-footer",
    "md-tabs",
    "md-search",
    "md-source",
    "md-skip",
    "navbar",
    "nav-chapters",
    "mobile-nav-chapters",
    // rustdoc
    "sidebar",
    "sidebar-elems",
    "mobile-topbar",
    "anchor",
    "src",
    "skip-main-content",
    // Javadoc (before HTML5 landmarks)
    "topNav",
    "subNav",
    "bottomNav",
    "navList",
    "subNavList",
    "skipNav",
    "fixedNav",
    "navPadding",
    // Doxygen
    "tabs",
    "tabs2",
    "tabs3",
    "navpath",
    // Anywhere
    "breadcrumb",
    "breadcrumbs",
    "skip-link",
];

/// Ids the generators give their navigation.
const BOILERPLATE_IDS: &[&str] = &[
    // Doxygen
    "titlearea",
    "navrow1",
    "navrow2",
    "navrow3",
    "navrow4",
    "nav-path",
    "side-nav",
    "nav-tree",
    "MSearchBox",
    "MSearchSelectWindow",
    "MSearchResultsWindow",
    // Sphinx, mdBook, generic
    "searchbox",
    "sidebar",
    "menu-bar",
    "mdbook-menu-bar",
    "mdbook-sidebar",
    "mdbook-help-container",
];

/// Blocks that may be dropped for being mostly links.
const LINK_BLOCKS: &[&str] = &[
    "ul", "ol", "dl", "menu", "table", "tbody", "div", "section", "aside", "p", "header", "footer",
    "details", "center",
];

/// Lists and tables: dropped when mostly links whatever else they hold.
const LIST_BLOCKS: &[&str] = &["ul", "ol", "dl", "menu", "table", "tbody"];

/// Never dropped for their links.
const PROTECTED: &[&str] = &["h1", "h2", "h3", "h4", "h5", "h6", "pre", "code"];

/// A link list has at least this many links ...
const MIN_LINKS: usize = 3;
/// ... that make up at least this share of its text ...
const LINK_DENSITY: f64 = 0.6;
/// ... and, unless it is a list or table, at most this many bytes of text besides the links.
const MAX_PROSE_IN_LINK_BLOCK: usize = 200;

/// HTML to plain text with headings as `#` lines, boilerplate removed, and the title.
pub(crate) fn html_to_text(html: &str) -> HtmlText {
    let depth = nesting_depth(html);
    if depth > MAX_HTML_DEPTH {
        tracing::debug!(
            depth,
            "HTML nested too deeply to convert; keeping the tags out by hand"
        );
        return HtmlText {
            text: strip_tags(html),
            title: title_by_hand(html),
        };
    }
    match convert(html) {
        Ok(converted) => converted,
        Err(error) => {
            tracing::debug!(%error, "HTML conversion failed; keeping the tags out by hand");
            HtmlText {
                text: strip_tags(html),
                title: title_by_hand(html),
            }
        }
    }
}

fn convert(html: &str) -> Result<HtmlText, html2text::Error> {
    let config = html2text::config::with_decorator(TextOnly)
        .no_table_borders()
        .allow_width_overflow();
    let dom = config.parse_html(html.as_bytes())?;
    let title = document_title(&dom);
    prune(&dom.document);
    let tree = config.dom_to_render_tree(&dom)?;
    let rendered = config.render_to_string(tree, 10_000)?;
    let mut text = rendered
        .lines()
        .map(squeeze_spaces)
        .collect::<Vec<_>>()
        .join("\n");
    if text.trim().is_empty()
        && let Some(title) = &title
    {
        // A page of links only: findable by its name, with nothing to outrank content.
        text = format!("# {title}\n");
    }
    Ok(HtmlText { text, title })
}

/// The element's local name, or `None` for other nodes.
fn element_name(node: &Handle) -> Option<&str> {
    match &node.data {
        Element { name, .. } => Some(&name.local),
        _ => None,
    }
}

/// The value of an element's attribute.
fn attribute(node: &Handle, wanted: &str) -> Option<String> {
    match &node.data {
        Element { attrs, .. } => attrs
            .borrow()
            .iter()
            .find(|a| &*a.name.local == wanted)
            .map(|a| a.value.to_string()),
        _ => None,
    }
}

/// A node's identity, to find it among its siblings.
fn identity(node: &Handle) -> *const () {
    Rc::as_ptr(node).cast::<()>()
}

fn is_text(node: &Handle) -> bool {
    !matches!(
        node.data,
        Element { .. } | html2text::Document | html2text::Comment { .. }
    ) && node.children.borrow().is_empty()
}

/// The bytes of a text node's text (serialised: `&`, `<`, `>` count a few bytes more, which
/// does not matter for a share of links). Whitespace-only text counts nothing.
fn text_len(node: &Handle) -> usize {
    let mut text = Vec::new();
    match node.serialize(&mut text) {
        Ok(()) if text.iter().any(|b| !b.is_ascii_whitespace()) => text.len(),
        _ => 0,
    }
}

/// A text node's text, entities the serialiser wrote decoded again.
fn text_of(node: &Handle) -> String {
    let mut bytes = Vec::new();
    if node.serialize(&mut bytes).is_err() {
        return String::new();
    }
    String::from_utf8_lossy(&bytes)
        .replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// All nodes in document order with the index of their parent (`usize::MAX` for the root),
/// without recursion: html5ever can build trees deeper than a thread's stack would like.
fn flatten(root: &Handle) -> Vec<(Handle, usize)> {
    let mut nodes = Vec::new();
    let mut stack = vec![(root.clone(), usize::MAX)];
    while let Some((node, parent)) = stack.pop() {
        let index = nodes.len();
        for child in node.children.borrow().iter().rev() {
            stack.push((child.clone(), index));
        }
        nodes.push((node, parent));
    }
    nodes
}

/// The text below `node`, whitespace collapsed.
fn collapsed_text(node: &Handle) -> String {
    let mut words = String::new();
    for (descendant, _) in flatten(node) {
        if is_text(&descendant) {
            words.push_str(&text_of(&descendant));
            words.push(' ');
        }
    }
    words.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `<title>`, else the first `<h1>`; `None` when both are missing or empty.
fn document_title(dom: &RcDom) -> Option<String> {
    let nodes = flatten(&dom.document);
    let first = |wanted: &str| {
        nodes
            .iter()
            .find(|(node, _)| element_name(node) == Some(wanted))
            .map(|(node, _)| collapsed_text(node))
            .filter(|title| !title.is_empty())
    };
    first("title")
        .or_else(|| first("h1"))
        .map(|title| crate::chunk::short_title(title.trim_end_matches('¶').trim_end()))
}

/// The title of a page the converter was not given: the text between `<title>` tags.
fn title_by_hand(html: &str) -> Option<String> {
    let lower = html.get(..html.len().min(64 * 1024))?.to_ascii_lowercase();
    let start = lower.find("<title")?;
    let open_end = start + lower[start..].find('>')? + 1;
    let end = open_end + lower[open_end..].find("</title")?;
    let title = html
        .get(open_end..end)?
        .split_whitespace()
        .collect::<Vec<_>>();
    (!title.is_empty()).then(|| crate::chunk::short_title(&title.join(" ")))
}

/// Text and link bytes and the number of links below a node.
#[derive(Debug, Clone, Copy, Default)]
struct Weight {
    text: usize,
    link_text: usize,
    links: usize,
}

/// Removes boilerplate and link lists from the tree (see the module docs).
fn prune(root: &Handle) {
    let nodes = flatten(root);
    // Bottom-up: every node's weight, children before parents (reverse document order).
    let mut weights = vec![Weight::default(); nodes.len()];
    for index in (0..nodes.len()).rev() {
        let (node, parent) = &nodes[index];
        let mut weight = weights[index];
        if is_text(node) {
            weight.text += text_len(node);
        }
        if element_name(node) == Some("a") && attribute(node, "href").is_some() {
            weight.links += 1;
            weight.link_text = weight.text;
        }
        weights[index] = weight;
        if let Some(up) = weights.get_mut(*parent) {
            up.text += weight.text;
            up.link_text += weight.link_text;
            up.links += weight.links;
        }
    }
    // Top-down: what goes (its subtree with it), knowing what lies around it.
    let mut dropped = vec![false; nodes.len()];
    let mut in_content = vec![false; nodes.len()];
    let mut protected = vec![false; nodes.len()];
    let mut doomed: HashSet<*const ()> = HashSet::new();
    let mut parents_to_fix: Vec<usize> = Vec::new();
    for (index, (node, parent)) in nodes.iter().enumerate() {
        let (parent_dropped, parent_content, parent_protected) = match nodes.get(*parent) {
            Some(_) => (dropped[*parent], in_content[*parent], protected[*parent]),
            None => (false, false, false),
        };
        if parent_dropped {
            dropped[index] = true;
            continue;
        }
        let Some(name) = element_name(node) else {
            continue;
        };
        let attr = |wanted: &str| attribute(node, wanted);
        let role = attr("role");
        in_content[index] =
            parent_content || matches!(name, "main" | "article") || role.as_deref() == Some("main");
        protected[index] = parent_protected || PROTECTED.contains(&name);
        let classes = attr("class").unwrap_or_default();
        let boilerplate = NEVER_CONTENT.contains(&name)
            || (matches!(name, "header" | "footer") && !parent_content)
            || role
                .as_deref()
                .is_some_and(|r| BOILERPLATE_ROLES.contains(&r))
            || classes
                .split_ascii_whitespace()
                .any(|c| BOILERPLATE_CLASSES.contains(&c))
            || attr("id").is_some_and(|id| BOILERPLATE_IDS.contains(&id.as_str()));
        if boilerplate || (!protected[index] && link_list(name, weights[index])) {
            dropped[index] = true;
            doomed.insert(identity(node));
            parents_to_fix.push(*parent);
        }
    }
    parents_to_fix.dedup();
    for parent in parents_to_fix {
        if let Some((node, _)) = nodes.get(parent) {
            node.children
                .borrow_mut()
                .retain(|child| !doomed.contains(&identity(child)));
        }
    }
}

/// Whether a block is a link list (see the module docs).
fn link_list(name: &str, weight: Weight) -> bool {
    if !LINK_BLOCKS.contains(&name) || weight.links < MIN_LINKS || weight.text == 0 {
        return false;
    }
    let dense = weight.link_text as f64 >= LINK_DENSITY * weight.text as f64;
    let prose = weight.text.saturating_sub(weight.link_text);
    dense && (LIST_BLOCKS.contains(&name) || prose <= MAX_PROSE_IN_LINK_BLOCK)
}

/// html2text's plain decorator without the brackets around links and image titles: the
/// brackets are noise in passages and headings (`# [math] — Mathematical functions`).
#[derive(Debug, Clone, Copy)]
struct TextOnly;

impl TextDecorator for TextOnly {
    type Annotation = ();

    fn decorate_link_start(&mut self, _url: &str) -> (String, ()) {
        (String::new(), ())
    }
    fn decorate_link_end(&mut self) -> String {
        String::new()
    }
    fn decorate_em_start(&self) -> (String, ()) {
        (String::new(), ())
    }
    fn decorate_em_end(&self) -> String {
        String::new()
    }
    fn decorate_strong_start(&self) -> (String, ()) {
        (String::new(), ())
    }
    fn decorate_strong_end(&self) -> String {
        String::new()
    }
    fn decorate_strikeout_start(&self) -> (String, ()) {
        (String::new(), ())
    }
    fn decorate_strikeout_end(&self) -> String {
        String::new()
    }
    fn decorate_code_start(&self) -> (String, ()) {
        (String::new(), ())
    }
    fn decorate_code_end(&self) -> String {
        String::new()
    }
    fn decorate_preformat_first(&self) {}
    fn decorate_preformat_cont(&self) {}
    fn decorate_image(&mut self, _src: &str, title: &str) -> (String, ()) {
        (title.to_owned(), ())
    }
    fn header_prefix(&self, level: usize) -> String {
        "#".repeat(level) + " "
    }
    fn quote_prefix(&self) -> String {
        "> ".to_owned()
    }
    fn unordered_item_prefix(&self) -> String {
        "* ".to_owned()
    }
    fn ordered_item_prefix(&self, i: i64) -> String {
        format!("{i}. ")
    }
    fn make_subblock_decorator(&self) -> Self {
        TextOnly
    }
    fn finalise(&mut self, _urls: Vec<String>) -> Vec<TaggedLine<()>> {
        Vec::new()
    }
}

/// The deepest element nesting of `html`, counted roughly in one pass over the tags (script
/// and style contents skipped), with elements of [`FLAT_ELEMENTS`] left out.
pub(crate) fn nesting_depth(html: &str) -> usize {
    let bytes = html.as_bytes();
    let name_at = |from: usize| {
        let end = bytes[from..]
            .iter()
            .position(|b| !b.is_ascii_alphanumeric())
            .map_or(bytes.len(), |n| from + n);
        (html[from..end].to_ascii_lowercase(), end)
    };
    let (mut depth, mut deepest, mut at) = (0usize, 0usize, 0usize);
    while let Some(found) = bytes[at..].iter().position(|&b| b == b'<') {
        let open = at + found;
        at = open + 1;
        let Some(&next) = bytes.get(at) else { break };
        if next == b'/' {
            let (name, _) = name_at(at + 1);
            if !name.is_empty() && !FLAT_ELEMENTS.contains(&name.as_str()) {
                depth = depth.saturating_sub(1);
            }
        } else if next.is_ascii_alphabetic() {
            let (name, end) = name_at(at);
            let close = bytes[end..]
                .iter()
                .position(|&b| b == b'>')
                .map(|n| end + n);
            let self_closing = close.is_some_and(|c| c > 0 && bytes[c - 1] == b'/');
            if name == "script" || name == "style" {
                let closing = format!("</{name}");
                at = bytes[end..]
                    .windows(closing.len())
                    .position(|w| w.eq_ignore_ascii_case(closing.as_bytes()))
                    .map_or(bytes.len(), |n| end + n);
                continue;
            }
            if !self_closing && !FLAT_ELEMENTS.contains(&name.as_str()) {
                depth += 1;
                deepest = deepest.max(depth);
            }
        }
    }
    deepest
}

/// The most spaces kept at the start of a converted line (indentation of code and lists).
const MAX_INDENT: usize = 32;

/// One line of converted HTML without the converter's padding: html2text pads table cells to
/// the column width, which turned Python's 1.7 MB `genindex-all.html` into 36 MB of text,
/// mostly spaces. Trailing spaces go, indentation is kept up to [`MAX_INDENT`], and runs of
/// spaces inside the line shrink to two (still a visible column break).
pub(crate) fn squeeze_spaces(line: &str) -> String {
    let line = line.trim_end();
    let body = line.trim_start_matches(' ');
    let indent = (line.len() - body.len()).min(MAX_INDENT);
    let mut out = String::with_capacity(indent + body.len());
    out.extend(std::iter::repeat_n(' ', indent));
    let mut run = 0;
    for c in body.chars() {
        run = if c == ' ' { run + 1 } else { 0 };
        if run <= 2 {
            out.push(c);
        }
    }
    out
}

/// A last resort for HTML the converter refuses: drop everything between `<` and `>`.
fn strip_tags(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nesting_depth_counts_containers_not_flat_or_void_elements() {
        assert_eq!(
            nesting_depth("<div><div><p>a<p>b<br><img src=x/></div></div>"),
            2
        );
        assert_eq!(nesting_depth("<ul><li>a<li>b</ul><ul><li>c</ul>"), 1);
        assert_eq!(
            nesting_depth("<script>if (a<b && c<d) {}</script><SPAN>x</SPAN>"),
            1
        );
        assert_eq!(nesting_depth(&"<ul><li>".repeat(500)), 500);
        assert_eq!(nesting_depth("a < b and <!-- c --> <"), 0);
    }

    #[test]
    fn table_padding_is_squeezed_but_indentation_kept() {
        let cells = "<td>x</td>".repeat(3);
        let wide = format!(
            "<table><tr><td>{}</td>{cells}</tr><tr><td>a</td>{cells}</tr></table>",
            "long cell ".repeat(50)
        );
        let text = html_to_text(&wide).text;
        assert!(!text.contains("   "), "{text:?}");
        assert!(text.contains("a  x"), "{text:?}");
        let code = html_to_text("<pre>def f():\n    return 1\n</pre>").text;
        assert!(code.contains("\n    return 1"), "{code:?}");
        assert_eq!(
            squeeze_spaces(&format!("{}deep", " ".repeat(100))).len(),
            36
        );
    }

    #[test]
    fn deeply_nested_html_is_stripped_not_converted() {
        let deep = format!(
            "<title>Deep</title><h1>Title</h1>{}words at the bottom",
            "<ul><li>".repeat(2000)
        );
        let converted = html_to_text(&deep);
        let text = converted.text;
        assert!(text.contains("Title") && text.contains("words at the bottom"));
        assert!(!text.contains('<'));
        assert_eq!(converted.title.as_deref(), Some("Deep"));
        // Shallow documents still go through the converter (headings become `#` lines).
        assert!(
            html_to_text("<h1>Title</h1><p>x</p>")
                .text
                .contains("# Title")
        );
    }

    #[test]
    fn navigation_and_link_lists_go_prose_with_links_stays() {
        let links = |n: usize| {
            (0..n)
                .map(|i| format!("<li><a href=\"p{i}.html\">Chapter {i}</a></li>"))
                .collect::<String>()
        };
        let html = format!(
            "<html><head><title>Page</title></head><body>\
             <nav><a href=\"/\">Home</a> <a href=\"/a\">Alpha navigation</a></nav>\
             <div class=\"related\"><a href=\"n\">next</a></div>\
             <div role=\"main\"><h1>Heading<a class=\"headerlink\" href=\"#h\">¶</a></h1>\
             <p>Prose that cites <a href=\"x\">one</a>, <a href=\"y\">two</a> and \
             <a href=\"z\">three</a> references but says a lot more than its links do, which \
             makes it content.</p>\
             <ul>{}</ul><footer><a href=\"a\">in-article footer note</a></footer></div>\
             <footer>Copyright footer</footer></body></html>",
            links(5)
        );
        let converted = html_to_text(&html);
        let text = &converted.text;
        assert_eq!(converted.title.as_deref(), Some("Page"));
        assert!(text.contains("# Heading\n"), "{text}");
        assert!(
            text.contains("Prose that cites one, two and three"),
            "{text}"
        );
        assert!(text.contains("in-article footer note"), "{text}");
        for gone in [
            "Alpha navigation",
            "next",
            "Chapter 3",
            "Copyright",
            "¶",
            "[",
        ] {
            assert!(!text.contains(gone), "{gone:?} left in {text}");
        }
    }

    #[test]
    fn a_page_of_links_keeps_its_title_and_titles_are_bounded() {
        let list: String = (0..50)
            .map(|i| format!("<li><a href=\"g{i}\">entry {i}</a></li>"))
            .collect();
        let converted = html_to_text(&format!(
            "<title>Index of everything</title><ul>{list}</ul>"
        ));
        assert_eq!(converted.text, "# Index of everything\n");
        let long = html_to_text(&format!("<title>{}</title><p>x</p>", "word ".repeat(500)));
        assert!(long.title.unwrap().len() <= crate::chunk::MAX_TITLE_BYTES + '…'.len_utf8());
        let untitled = html_to_text("<title> \n </title><h1>First <em>heading</em></h1><p>x</p>");
        assert_eq!(untitled.title.as_deref(), Some("First heading"));
        assert_eq!(html_to_text("<p>no title</p>").title, None);
        assert_eq!(html_to_text("<html><body></body></html>").text.trim(), "");
    }
}
