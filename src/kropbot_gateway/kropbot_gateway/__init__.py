"""KropBot crowd gateway: a hardened rosbridge v2 subset over WebSocket, plus the page's server."""
