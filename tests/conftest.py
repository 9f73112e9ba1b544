import os

# Lets sklearn's check_array_api_input run with the numpy namespace instead of skipping.
os.environ.setdefault("SCIPY_ARRAY_API", "1")
