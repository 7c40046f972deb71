"""eventlet.ssl"""
