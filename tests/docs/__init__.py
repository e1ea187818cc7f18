"""The documentation tests: the site, its code blocks, citations and examples."""
