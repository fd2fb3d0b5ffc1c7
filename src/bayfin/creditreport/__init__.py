"""Credit reports (信用报告) and post-loan monitoring for financial institutions, under consent.

Reads the data hub's standard record through ``creditdata.service.enterprise_record`` and checks
every use through ``consent.ConsentService.authorize_use``.
"""
