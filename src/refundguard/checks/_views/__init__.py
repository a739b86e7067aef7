"""Private geometry for the multiview check: matching one object between photos and comparing damage."""
