"""eventlet.processes"""
