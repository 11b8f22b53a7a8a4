// JupyterZMQ: implementation pending
