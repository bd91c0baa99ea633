"""apps: the Streamlit app over the results store."""
