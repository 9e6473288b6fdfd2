class BaseModel:  # stands in for the SDK's pydantic base
    pass
