"""The Textual front end of rafix. It only calls the core (``remediations``).

The app itself comes with the terminal-app issue; until then ``rafix`` prints the scan.
"""
