"""The scanning engine: plain asyncio, no Django, no Celery.

Public entry points: :func:`rempart.engine.runner.scan` and the types of
:mod:`rempart.engine.model`.
"""
