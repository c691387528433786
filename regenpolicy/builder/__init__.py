"""The build: profiles, the registry of notebooks, execution, the website, the PDF and editions."""
