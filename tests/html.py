"""Pages read back as HTML trees (tinyhtml5, the HTML5 parser WeasyPrint already brings),
for tests that check structure: which input a message is tied to, which links lack a class."""

from xml.etree.ElementTree import Element

import tinyhtml5


class Page:
    def __init__(self, html: bytes | str) -> None:
        text = html.decode() if isinstance(html, bytes) else html
        self.root: Element = tinyhtml5.parse(text, namespace_html_elements=False)
        self._parent = {child: parent for parent in self.root.iter() for child in parent}

    def has(self, id_: str) -> bool:
        return any(e.get("id") == id_ for e in self.root.iter())

    def by_id(self, id_: str) -> Element:
        found = next((e for e in self.root.iter() if e.get("id") == id_), None)
        assert found is not None, f"no element with id {id_}"
        return found

    def find_all(self, tag: str, within: Element | None = None, cls: str = "") -> list[Element]:
        return [
            e
            for e in (within if within is not None else self.root).iter(tag)
            if not cls or cls in classes(e)
        ]

    def parent(self, element: Element, tag: str) -> Element:
        node = self._parent.get(element)
        while node is not None and node.tag != tag:
            node = self._parent.get(node)
        assert node is not None, f"no <{tag}> round the element"
        return node

    def ancestors(self, element: Element) -> list[Element]:
        found = []
        node = self._parent.get(element)
        while node is not None:
            found.append(node)
            node = self._parent.get(node)
        return found

    def main(self) -> Element:
        found = self.find_all("main")
        assert found, "the page has no <main>"
        return found[0]


def classes(element: Element) -> list[str]:
    return (element.get("class") or "").split()


def text(element: Element) -> str:
    return " ".join("".join(element.itertext()).split())
