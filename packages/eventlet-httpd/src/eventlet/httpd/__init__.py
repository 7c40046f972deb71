"""eventlet.httpd"""
