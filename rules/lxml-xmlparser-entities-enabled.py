from lxml import etree

# ruleid: lxml-xmlparser-entities-enabled
default_parser = etree.XMLParser(remove_blank_text=True)
# ruleid: lxml-xmlparser-entities-enabled
entity_parser = etree.XMLParser(resolve_entities=True, dtd_validation=True)
# ok: lxml-xmlparser-entities-enabled
safe_parser = etree.XMLParser(resolve_entities=False, no_network=True)
# ok: lxml-xmlparser-entities-enabled
html_parser = etree.HTMLParser(remove_comments=True)
